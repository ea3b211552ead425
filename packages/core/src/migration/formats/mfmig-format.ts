import { readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { checksumMigration } from '../checksum.js';
import type { Migration } from '../migration.js';
import { parseSqlMigration } from '../sql-file-parser.js';
import { MIGRATION_EXT } from './classify-entry.js';
import type { FolderLayout } from './detect-format.js';
import { type LoadContext, invalidMigration, parseVersion, readMigrationText } from './load-context.js';
import { moduleMigration } from './module-migration.js';
import { sqlMigration } from './sql-migration.js';
import { dialectVariantOf, pickDialectVariants } from './dialect-variants.js';

const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.(sql|ts|mts|cts|js|mjs|cjs)$/;

/**
 * Reads an mfmig (or dbmate) folder: `mvpN/` milestone folders of `NNNN_name.sql|ts|js`, or the
 * same files flat at the top (milestone 0). The checksum is the whole file's.
 *
 * @example
 * const migrations = await readMfmigFolder(detectLayout(ctx), ctx);
 */
export async function readMfmigFolder(layout: FolderLayout, ctx: LoadContext): Promise<Migration[]> {
  const files: { path: string; mvp: number }[] = [];
  for (const entry of layout.entries) {
    if (entry.kind !== 'milestone-dir') {
      files.push({ path: entry.path, mvp: 0 });
      continue;
    }
    for (const file of readdirSync(entry.path).sort()) {
      if (!MIGRATION_EXT.test(file) || file.endsWith('.d.ts') || file.startsWith('.')) continue;
      files.push({ path: join(entry.path, file), mvp: Number(entry.version) });
    }
  }
  const migrations: Migration[] = [];
  for (const { path, mvp } of pickDialectVariants(files, ctx.dialect)) migrations.push(await readMfmigFile(path, mvp, ctx));
  return migrations;
}

async function readMfmigFile(path: string, mvp: number, ctx: LoadContext): Promise<Migration> {
  const match = MIGRATION_FILE.exec(basename(path));
  if (!match) {
    throw invalidMigration(`Malformed migration file name ${relative(ctx.root, path)}: expected NNNN_name.sql (or .ts/.js), e.g. 0007_add_incidents.sql`, path);
  }
  const version = parseVersion(match[1]!, relative(ctx.root, path), path);
  const { text, shown } = readMigrationText(path, ctx);
  const variant = dialectVariantOf(basename(path));
  const name = (variant === undefined ? match[2]! : match[2]!.slice(0, -variant.length - 1)).replace(/\.+$/, '');
  const base = { version, name, mvp, file: path, checksum: checksumMigration(text), ...(variant === undefined ? {} : { dialectVariant: variant }) };
  if (match[3] !== 'sql') return moduleMigration(text, shown, base, ctx.modules);
  const parsed = parseSqlMigration(text, shown);
  const { versionLabel } = parsed.meta;
  return sqlMigration({ ...base, ...(versionLabel === undefined ? {} : { versionLabel }) }, parsed, shown, ctx.dialect);
}
