import { MfmigError } from '../../errors/index.js';
import type { Migration } from '../migration.js';
import { canonicalChecksum } from './canonical-sql.js';
import type { FolderLayout } from './detect-format.js';
import type { FolderEntry } from './folder-entry.js';
import { type LoadContext, invalidMigration, parseVersion, readMigrationText } from './load-context.js';
import { sqlMigration, wholeFileSql } from './sql-migration.js';

/**
 * Reads golang-migrate's `000001_name.up.sql` / `000001_name.down.sql` pairs, and sqlx's
 * folders, which use the same pairs plus `<version>_name.sql` files that are an up without a
 * down. A down without its up is an error. The checksum is that of the mfmig file `mfmig import`
 * writes for the migration.
 *
 * @example
 * const migrations = readUpDownFolder(detectLayout(ctx, 'golang-migrate'), ctx);
 */
export function readUpDownFolder(layout: FolderLayout, ctx: LoadContext): Migration[] {
  const ups = new Map<number, FolderEntry>();
  const downs = new Map<number, FolderEntry>();
  const migrations: Migration[] = [];
  for (const entry of layout.entries) {
    const version = parseVersion(entry.version, entry.entry, entry.path);
    const into = entry.kind === 'down' ? downs : ups;
    const twin = into.get(version);
    if (twin) {
      throw new MfmigError('MIGRATION_DUPLICATE', `Duplicate migration version ${version} twice: ${twin.entry} and ${entry.entry}`, {
        context: { file: entry.path, version },
      });
    }
    into.set(version, entry);
  }
  for (const [version, down] of downs) {
    if (!ups.has(version))
      throw invalidMigration(`Migration ${down.entry} is a down without its up (${down.version}_${down.name}.up.sql); add the up file or remove it`, down.path);
  }
  for (const [version, up] of ups) {
    const down = downs.get(version);
    const upText = readMigrationText(up.path, ctx);
    const upSql = wholeFileSql(upText.text, upText.shown, up.path);
    if (upSql === undefined) throw invalidMigration(`Malformed migration ${upText.shown}: it holds no SQL statement`, up.path);
    const downText = down ? readMigrationText(down.path, ctx) : undefined;
    const downSql = down && downText ? wholeFileSql(downText.text, downText.shown, down.path) : undefined;
    const checksum = canonicalChecksum({ upSql, downSql });
    migrations.push(sqlMigration({ version, name: up.name, mvp: 0, file: up.path, checksum }, { upSql, downSql }, upText.shown, ctx.dialect));
  }
  return migrations;
}
