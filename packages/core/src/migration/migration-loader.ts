import type { Jiti } from 'jiti';
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { MfmigError, messageOf } from '../errors/index.js';
import { userCacheDirectory } from '../files/index.js';
import { checksumMigration } from './checksum.js';
import type { Migration, MigrationFn, MigrationMeta, MigrationSet } from './migration.js';
import { type ConnectionSettings, prepareSqlSection } from './connection-settings.js';
import { assertSafeMigrationSql } from './sql-safety.js';
import { type ModuleExports, metadataOnlyModule } from './metadata-only-module.js';
import { parseSqlMigration } from './sql-file-parser.js';

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
}

const MILESTONE_DIR = /^mvp(\d{1,6})$/;
const MIGRATION_EXT = /\.(sql|ts|mts|cts|js|mjs|cjs)$/;
const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.(sql|ts|mts|cts|js|mjs|cjs)$/;
export const DEFAULT_MAX_MIGRATION_BYTES = 4 * 1024 * 1024;

/** Loads `.ts`/`.js` migration modules; created on first use (jiti is slow to start) and shared. */
let jiti: Promise<Jiti> | undefined;

/**
 * Loads a migrations folder: milestone folders `mvp1/` … `mvpN/`, each holding
 * `NNNN_name.sql` (dbmate markers) or `NNNN_name.ts|js` modules exporting `up`, `down`, `meta`
 * and `transformations`. Every problem is an error naming the file.
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
    throw new MfmigError('MIGRATIONS_NOT_FOUND', `Migrations folder ${folder} does not exist or is not a folder; check --migrations`, {
      context: { file: root },
    });
  }
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_MIGRATION_BYTES;
  const migrations: Migration[] = [];
  const byVersion = new Map<number, Migration>();
  const milestones: number[] = [];
  for (const entry of readdirSync(root).sort()) {
    const match = MILESTONE_DIR.exec(entry);
    if (!match) continue;
    const dir = join(root, entry);
    if (!statSync(dir).isDirectory()) continue;
    assertInside(realRoot, dir, root);
    const mvp = Number(match[1]);
    const count = migrations.length;
    for (const file of readdirSync(dir).sort()) {
      if (!MIGRATION_EXT.test(file) || file.endsWith('.d.ts') || file.startsWith('.')) continue;
      const path = join(dir, file);
      const migration = await loadMigrationFile(path, mvp, { root, realRoot, maxBytes, modules: options.modules ?? 'import' });
      const existing = byVersion.get(migration.version);
      if (existing) {
        const where = existing.mvp === mvp ? 'twice' : `in two milestones (mvp${existing.mvp} and mvp${mvp})`;
        throw new MfmigError(
          'MIGRATION_DUPLICATE',
          `Duplicate migration version ${migration.version} ${where}: ${relative(root, existing.file)} and ${relative(root, path)}`,
          { context: { file: path, version: migration.version } },
        );
      }
      byVersion.set(migration.version, migration);
      migrations.push(migration);
    }
    // an empty milestone folder is not a milestone: it would stop the milestone a database reaches
    if (migrations.length > count) milestones.push(mvp);
  }
  milestones.sort((a, b) => a - b);
  migrations.sort((a, b) => a.version - b.version);
  assertMilestonesOrdered(migrations, root);
  return { root, format: 'mfmig', migrations, milestones, byVersion, repeatables: [] };
}

async function loadMigrationFile(
  path: string,
  mvp: number,
  where: { root: string; realRoot: string; maxBytes: number; modules: 'import' | 'metadata' },
): Promise<Migration> {
  const shown = relative(where.root, path);
  const name = basename(path);
  const match = MIGRATION_FILE.exec(name);
  if (!match) {
    throw invalid(`Malformed migration file name ${shown}: expected NNNN_name.sql (or .ts/.js), e.g. 0007_add_incidents.sql`, path);
  }
  const version = Number(match[1]);
  if (match[1]!.length > 15 || !Number.isSafeInteger(version)) {
    throw invalid(`Migration ${shown}: version ${match[1]} is too large (at most ${Number.MAX_SAFE_INTEGER})`, path);
  }
  const lstat = lstatSync(path);
  if (lstat.isSymbolicLink()) assertInside(where.realRoot, path, where.root);
  const stat = statSync(path);
  if (!stat.isFile()) throw invalid(`Migration ${shown} is not a regular file`, path);
  if (stat.size > where.maxBytes) {
    throw invalid(`Migration ${shown} is ${stat.size} bytes, over the ${where.maxBytes}-byte limit for one migration`, path);
  }
  const text = decodeUtf8(readFileSync(path), shown, path);
  const checksum = checksumMigration(text);
  const base = { version, name: match[2]!.replace(/\.+$/, ''), mvp, file: path, checksum };
  if (match[3] === 'sql') {
    const parsed = parseSqlMigration(text, shown);
    assertSafeMigrationSql(parsed.upSql, shown);
    if (parsed.downSql) assertSafeMigrationSql(parsed.downSql, shown);
    const { upSql, downSql } = parsed;
    const transaction = parsed.meta.transaction ?? 'immediate';
    const section = (sql: string) => prepareSqlSection(sql, { transactional: transaction === 'immediate', foreignKeys: parsed.meta.foreignKeys, where: shown });
    const up = section(upSql);
    const down = downSql === undefined ? undefined : section(downSql);
    return {
      ...base,
      kind: 'sql',
      description: parsed.meta.description ?? humanise(base.name),
      transaction,
      foreignKeys: up.settings.foreignKeys,
      connection: { up: up.settings, down: down?.settings ?? { foreignKeys: parsed.meta.foreignKeys ?? 'on', legacyAlterTable: false } },
      irreversible: parsed.meta.irreversible ?? false,
      up: (_db, ctx) => ctx.exec(up.statements.join('\n')),
      down: down === undefined ? undefined : (_db, ctx) => ctx.exec(down.statements.join('\n')),
      upSql,
      downSql,
      transformations: [],
    };
  }
  if (where.modules === 'metadata') return { ...moduleMigration(metadataOnlyModule(text, base), shown, base), metadataOnly: true };
  return moduleMigration(await importModule(path, shown), shown, base);
}

async function importModule(path: string, shown: string): Promise<ModuleExports> {
  try {
    // the transpile cache runs what it holds: only a folder private to this user, never jiti's default in $TMPDIR
    jiti ??= import('jiti').then(({ createJiti }) => createJiti(import.meta.url, { moduleCache: false, interopDefault: true, fsCache: userCacheDirectory('jiti') ?? false }));
    return (await (await jiti).import(path)) as ModuleExports;
  } catch (error) {
    throw invalid(`Migration ${shown} cannot be loaded: ${messageOf(error).split('\n')[0]}`, path, error);
  }
}

function moduleMigration(mod: ModuleExports, shown: string, base: Pick<Migration, 'version' | 'name' | 'mvp' | 'file' | 'checksum'>): Migration {
  const path = base.file;
  if (typeof mod.up !== 'function') throw invalid(`Migration ${shown} does not export an up(db, ctx) function`, path);
  if (mod.down !== undefined && typeof mod.down !== 'function') throw invalid(`Migration ${shown}: down must be a function`, path);
  const meta = (mod.meta ?? {}) as MigrationMeta;
  if (typeof meta !== 'object' || meta === null) throw invalid(`Migration ${shown}: meta must be an object`, path);
  if (meta.foreignKeys !== undefined && meta.foreignKeys !== 'on' && meta.foreignKeys !== 'off') {
    throw invalid(`Migration ${shown}: meta.foreignKeys must be "on" or "off"`, path);
  }
  if (meta.transaction !== undefined && meta.transaction !== 'immediate' && meta.transaction !== 'none') {
    throw invalid(`Migration ${shown}: meta.transaction must be "immediate" or "none"`, path);
  }
  if (meta.legacyAlterTable !== undefined && typeof meta.legacyAlterTable !== 'boolean') {
    throw invalid(`Migration ${shown}: meta.legacyAlterTable must be true or false`, path);
  }
  const transformations = mod.transformations ?? [];
  const settings: ConnectionSettings = { foreignKeys: meta.foreignKeys ?? (meta.legacyAlterTable === true ? 'off' : 'on'), legacyAlterTable: meta.legacyAlterTable === true };
  if (!Array.isArray(transformations)) throw invalid(`Migration ${shown}: transformations must be an array`, path);
  return {
    ...base,
    kind: 'module',
    description: typeof meta.description === 'string' ? meta.description : humanise(base.name),
    transaction: meta.transaction ?? 'immediate',
    foreignKeys: settings.foreignKeys,
    connection: { up: settings, down: settings },
    irreversible: meta.irreversible === true,
    up: mod.up as MigrationFn,
    down: mod.down as MigrationFn | undefined,
    transformations,
  };
}

function assertMilestonesOrdered(migrations: Migration[], root: string): void {
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1]!;
    const next = migrations[i]!;
    if (next.mvp < prev.mvp) {
      throw invalid(
        `Migration ${relative(root, next.file)} (mvp${next.mvp}) has a higher version than ${relative(root, prev.file)} (mvp${prev.mvp}); versions must grow with milestones`,
        next.file,
      );
    }
  }
}

function assertInside(realRoot: string, path: string, root: string): void {
  const real = realpathSync(path);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    throw new MfmigError('MIGRATION_FORBIDDEN', `${relative(root, path)} is a link pointing outside the migrations folder; refused`, {
      context: { file: path },
    });
  }
}

function decodeUtf8(bytes: Buffer, shown: string, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(`Migration ${shown} is not valid UTF-8 text`, path);
  }
}

function humanise(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function invalid(message: string, file: string, cause?: unknown): MfmigError {
  return new MfmigError('MIGRATION_INVALID', message, { context: { file }, cause });
}
