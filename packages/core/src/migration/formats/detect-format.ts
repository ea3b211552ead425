import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MfmigError } from '../../errors/index.js';
import type { MigrationFormat } from '../migration.js';
import { MIGRATION_EXT, classifyEntry, isIgnoredEntry } from './classify-entry.js';
import { type EntryKind, FAMILY_OF, type FolderEntry } from './folder-entry.js';
import { type LoadContext, invalidMigration } from './load-context.js';

/** Every format `loadMigrations` reads, in the order detection reports them. */
export const MIGRATION_FORMATS: readonly MigrationFormat[] = ['mfmig', 'dbmate', 'golang-migrate', 'flyway', 'sqlx', 'prisma'];

/** A folder's entries, classified, and the format they were read as. */
export interface FolderLayout {
  format: MigrationFormat;
  entries: FolderEntry[];
}

/** The entry kinds each format accepts. */
const KINDS_OF: Record<MigrationFormat, readonly EntryKind[]> = {
  mfmig: ['milestone-dir', 'marked', 'module'],
  dbmate: ['marked'],
  'golang-migrate': ['up', 'down'],
  flyway: ['flyway-versioned', 'flyway-undo', 'flyway-repeatable'],
  sqlx: ['plain', 'up', 'down'],
  prisma: ['prisma-dir'],
};

const TRIED =
  'mfmig (mvpN/NNNN_name.sql, NNNN_name.sql), dbmate (YYYYMMDDHHMMSS_name.sql), golang-migrate (N_name.up.sql), Flyway (V1__name.sql), sqlx (N_name.sql), Prisma (<timestamp>_name/migration.sql)';

/**
 * Reads a folder's entry names and decides its format: `mvpN/` folders are mfmig; `NNNN_name.sql`
 * files with markers are dbmate when every version is a 14-digit timestamp, mfmig otherwise;
 * `.up.sql`/`.down.sql` pairs are golang-migrate (sqlx names them the same way: sqlx only when
 * marker-less `N_name.sql` files sit beside them, or when forced); `V1__`/`U1__`/`R__` are
 * Flyway; `<timestamp>_name/migration.sql` is Prisma. `forced` skips the guess but still refuses
 * entries of another format. A mix of formats, or files of none, is an error naming the files.
 *
 * @example
 * detectLayout(ctx).format; // 'golang-migrate'
 */
export function detectLayout(ctx: LoadContext, forced?: MigrationFormat): FolderLayout {
  const entries: FolderEntry[] = [];
  const unknown: { entry: string; migrationLike: boolean }[] = [];
  for (const entry of readdirSync(ctx.root).sort()) {
    if (isIgnoredEntry(entry)) continue;
    const classified = classifyEntry(entry, ctx);
    if (classified) entries.push(classified);
    else unknown.push({ entry, migrationLike: MIGRATION_EXT.test(entry) });
  }
  const hasMilestoneDirs = entries.some((e) => e.kind === 'milestone-dir');
  const format = forced ?? guessFormat(entries, ctx.root);
  const allowed = new Set(KINDS_OF[format]);
  const foreign = entries.find((e) => !allowed.has(e.kind));
  if (foreign) {
    const own = entries.find((e) => allowed.has(e.kind));
    throw new MfmigError(
      'MIGRATION_FORMAT',
      own
        ? `Migrations folder ${ctx.root} mixes formats: ${own.entry} is one of ${FAMILY_OF[own.kind]}, ${foreign.entry} one of ${FAMILY_OF[foreign.kind]}; keep one format per folder`
        : `Migrations folder ${ctx.root} was read as ${format}, but ${foreign.entry} is one of ${FAMILY_OF[foreign.kind]}`,
      { context: { file: foreign.path, reason: own ? 'mixed' : 'other-format', format } },
    );
  }
  if (hasMilestoneDirs && entries.some((e) => e.kind === 'marked' || e.kind === 'module')) {
    const dir = entries.find((e) => e.kind === 'milestone-dir')!;
    const flat = entries.find((e) => e.kind === 'marked' || e.kind === 'module')!;
    throw new MfmigError(
      'MIGRATION_FORMAT',
      `Migrations folder ${ctx.root} mixes milestone folders (${dir.entry}/) and migration files at its top (${flat.entry}); move ${flat.entry} into a milestone folder`,
      {
        context: { file: flat.path },
      },
    );
  }
  // beside milestone folders, the top level was never read: anything there stays ignored
  const stray = hasMilestoneDirs ? undefined : (unknown.find((u) => u.migrationLike) ?? (entries.length === 0 ? unknown[0] : undefined));
  if (stray && entries.length > 0) {
    throw invalidMigration(`Malformed migration file name ${stray.entry}: it fits no ${format} name (e.g. ${exampleOf(format)})`, join(ctx.root, stray.entry));
  }
  if (stray) {
    throw new MfmigError(
      'MIGRATION_FORMAT',
      `Migrations folder ${ctx.root} holds no migrations in a format mfmig reads (first entry: ${stray.entry}); tried ${TRIED}`,
      {
        context: { file: join(ctx.root, stray.entry) },
      },
    );
  }
  return { format, entries };
}

function guessFormat(entries: FolderEntry[], root: string): MigrationFormat {
  const kinds = new Set(entries.map((e) => e.kind));
  if (kinds.size === 0) return 'mfmig';
  const candidates = MIGRATION_FORMATS.filter((f) => [...kinds].every((k) => KINDS_OF[f].includes(k)));
  if (candidates.includes('dbmate') && entries.every((e) => e.version.length === 14)) return 'dbmate';
  // golang-migrate before sqlx: both name reversible files N_name.up.sql (README: "Choosing a format")
  const pick = candidates.find((f) => f !== 'dbmate');
  if (pick) return pick;
  const first = entries[0]!;
  const other = entries.find((e) => FAMILY_OF[e.kind] !== FAMILY_OF[first.kind]) ?? entries.at(-1)!;
  throw new MfmigError(
    'MIGRATION_FORMAT',
    `Migrations folder ${root} mixes formats: ${first.entry} is one of ${FAMILY_OF[first.kind]}, ${other.entry} one of ${FAMILY_OF[other.kind]}; keep one format per folder`,
    { context: { file: other.path } },
  );
}

function exampleOf(format: MigrationFormat): string {
  return {
    mfmig: '0007_add_notes.sql',
    dbmate: '20240101120000_add_notes.sql',
    'golang-migrate': '000007_add_notes.up.sql',
    flyway: 'V7__add_notes.sql',
    sqlx: '20240101120000_add_notes.sql',
    prisma: '20240101120000_add_notes/migration.sql',
  }[format];
}
