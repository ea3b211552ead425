import type { Migration } from '../migration.js';
import { canonicalChecksum } from './canonical-sql.js';
import type { FolderLayout } from './detect-format.js';
import { type LoadContext, invalidMigration, parseVersion, readMigrationText } from './load-context.js';
import { sqlMigration, wholeFileSql } from './sql-migration.js';

/**
 * Reads Prisma Migrate's `<timestamp>_name/migration.sql` folders (`migration_lock.toml` is
 * ignored). Prisma has no down migrations.
 *
 * @example
 * const migrations = readPrismaFolder(detectLayout(ctx, 'prisma'), ctx);
 */
export function readPrismaFolder(layout: FolderLayout, ctx: LoadContext): Migration[] {
  return layout.entries.map((entry) => {
    const version = parseVersion(entry.version, entry.entry, entry.path);
    const { text, shown } = readMigrationText(entry.path, ctx);
    const upSql = wholeFileSql(text, shown, entry.path);
    if (upSql === undefined) throw invalidMigration(`Malformed migration ${shown}: it holds no SQL statement`, entry.path);
    return sqlMigration({ version, name: entry.name, mvp: 0, file: entry.path, checksum: canonicalChecksum({ upSql }) }, { upSql }, shown, ctx.dialect);
  });
}
