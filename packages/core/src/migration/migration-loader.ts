import { realpathSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { DialectName } from '../dialect/dialect.js';
import { MfmigError } from '../errors/index.js';
import { MIGRATION_FORMATS, detectLayout } from './formats/detect-format.js';
import { flywayVersionKey, readFlywayFolder } from './formats/flyway-format.js';
import type { LoadContext } from './formats/load-context.js';
import { type MilestoneRange, assignMilestones } from './formats/milestone-ranges.js';
import { readMfmigFolder } from './formats/mfmig-format.js';
import { readPrismaFolder } from './formats/prisma-format.js';
import { readUpDownFolder } from './formats/up-down-format.js';
import type { Migration, MigrationFormat, MigrationSet, RepeatableMigration } from './migration.js';

/** Options of {@link loadMigrations}. */
export interface LoadMigrationsOptions {
  /** Largest migration file accepted, in bytes. Default 4 MiB. */
  maxFileBytes?: number;
  /**
   * `import` (default) imports `.ts`/`.js` modules, which runs their top-level code.
   * `metadata` never imports them: version, name, milestone and checksum come from the path and
   * the bytes, `meta` from a static reading of an `export const meta = { ... }` literal (else the
   * humanised name and defaults); `up`/`down` throw, `transformations` is unknown (empty) and
   * `metadataOnly` is true. For commands that only read. SQL files load the same either way.
   */
  modules?: 'import' | 'metadata';
  /** Read the folder as this format instead of detecting it from the file names. */
  format?: MigrationFormat;
  /**
   * Milestones of a flat folder, by version ranges: `[{ mvp: 1, through: 5 }, { mvp: 2 }]`.
   * Not allowed with `mvpN/` folders, which are milestones already.
   */
  milestones?: readonly MilestoneRange[];
  /**
   * The database the migrations will run on. In an mfmig folder, a file written for it
   * (`0001_init.postgres.sql`) replaces the plain file of the same version, and files written for
   * another dialect are left out. Default `sqlite`.
   */
  dialect?: DialectName;
}

export const DEFAULT_MAX_MIGRATION_BYTES = 4 * 1024 * 1024;

/**
 * Loads a migrations folder in any format mfmig reads, detected from its file names (or
 * `options.format`): mfmig `mvpN/NNNN_name.sql|ts|js` milestone folders or the same files flat,
 * dbmate, golang-migrate, Flyway, sqlx and Prisma Migrate folders. Every problem is an error
 * naming the file; a folder of files in no known format, or mixing two, is a `MIGRATION_FORMAT`
 * error.
 *
 * @example
 * const set = await loadMigrations('./migrations');
 * set.migrations.map((m) => m.version); // [1, 2, 3, ...]
 */
export async function loadMigrations(folder: string, options: LoadMigrationsOptions = {}): Promise<MigrationSet> {
  const root = resolve(folder);
  let realRoot: string;
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
    realRoot = realpathSync(root);
  } catch {
    throw new MfmigError('MIGRATIONS_NOT_FOUND', `Migrations folder ${folder} does not exist or is not a folder`, {
      context: { file: root },
    });
  }
  if (options.format !== undefined && !MIGRATION_FORMATS.includes(options.format)) {
    throw new MfmigError('CONFIG_INVALID', `Unknown migrations format "${String(options.format)}"; use one of ${MIGRATION_FORMATS.join(', ')}`, {
      context: { field: 'format' },
    });
  }
  const ctx: LoadContext = {
    root,
    realRoot,
    maxBytes: options.maxFileBytes ?? DEFAULT_MAX_MIGRATION_BYTES,
    modules: options.modules ?? 'import',
    dialect: options.dialect ?? 'sqlite',
  };
  const layout = detectLayout(ctx, options.format);
  let migrations: Migration[];
  let repeatables: RepeatableMigration[] = [];
  if (layout.format === 'mfmig' || layout.format === 'dbmate') migrations = await readMfmigFolder(layout, ctx);
  else if (layout.format === 'flyway') ({ migrations, repeatables } = readFlywayFolder(layout, ctx));
  else if (layout.format === 'prisma') migrations = readPrismaFolder(layout, ctx);
  else migrations = readUpDownFolder(layout, ctx);
  const byVersion = new Map<number, Migration>();
  for (const m of migrations) {
    const existing = byVersion.get(m.version);
    if (existing) throw duplicate(existing, m, root);
    byVersion.set(m.version, m);
  }
  migrations.sort((a, b) => a.version - b.version);
  const hasMilestoneDirs = layout.entries.some((e) => e.kind === 'milestone-dir');
  let milestones: number[];
  if (options.milestones !== undefined && hasMilestoneDirs) {
    throw new MfmigError(
      'CONFIG_INVALID',
      `Configuration option milestones is invalid: ${folder} has mvpN/ milestone folders already; the option is for flat folders`,
      {
        context: { field: 'milestones' },
      },
    );
  } else if (options.milestones !== undefined) {
    milestones = assignMilestones(migrations, options.milestones, layout.format === 'flyway' ? flywayVersionKey : versionNumber, root);
  } else {
    // an empty milestone folder is not a milestone: it would stop the milestone a database reaches
    milestones = [...new Set(migrations.map((m) => m.mvp).filter((mvp) => mvp > 0))].sort((a, b) => a - b);
  }
  assertMilestonesOrdered(migrations, root);
  const milestoneSource = hasMilestoneDirs ? 'folders' : options.milestones !== undefined ? 'ranges' : 'none';
  return { root, format: layout.format, migrations, milestones, milestoneSource, byVersion, repeatables };
}

function versionNumber(version: string): number {
  return /^\d+$/.test(version) ? Number(version) : Number.NaN;
}

function duplicate(existing: Migration, m: Migration, root: string): MfmigError {
  const where = existing.mvp === m.mvp ? 'twice' : `in two milestones (mvp${existing.mvp} and mvp${m.mvp})`;
  return new MfmigError(
    'MIGRATION_DUPLICATE',
    `Duplicate migration version ${m.versionLabel ?? m.version} ${where}: ${relative(root, existing.file)} and ${relative(root, m.file)}`,
    {
      context: { file: m.file, version: m.version },
    },
  );
}

function assertMilestonesOrdered(migrations: Migration[], root: string): void {
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1]!;
    const next = migrations[i]!;
    if (next.mvp < prev.mvp) {
      throw new MfmigError(
        'MIGRATION_INVALID',
        `Migration ${relative(root, next.file)} (mvp${next.mvp}) has a higher version than ${relative(root, prev.file)} (mvp${prev.mvp}); versions must grow with milestones`,
        { context: { file: next.file } },
      );
    }
  }
}
