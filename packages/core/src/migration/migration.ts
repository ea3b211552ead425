import type { SqliteDatabase as Database } from '../adapter/user-connection.js';
import type { Kysely } from 'kysely';
import type { Logger } from '../config/index.js';
import type { DatabaseAdapter } from '../adapter/index.js';
import type { SqliteConnection } from '../adapter/sqlite-connection.js';
import type { OperationProgress } from '../events/index.js';
import type { ConnectionSettings } from './connection-settings.js';
import type { DialectCapabilities } from '../dialect/dialect.js';

/** `up` applies a migration, `down` reverts it. */
export type Direction = 'up' | 'down';

/** How a migration is wrapped: one IMMEDIATE transaction (default), or none for work that cannot run in one. */
export type TransactionMode = 'immediate' | 'none';

/** What a migration file may declare about itself. */
export interface MigrationMeta {
  description?: string;
  /** `off` runs the migration with FK enforcement switched off (outside the transaction) and checks FKs before commit. Needed by table rebuilds. */
  foreignKeys?: 'on' | 'off';
  transaction?: TransactionMode;
  /** The down migration cannot restore what up changed (data is lost going down without preservation). */
  irreversible?: boolean;
  /** `true` runs the migration with `PRAGMA legacy_alter_table = ON` (applied outside the transaction). */
  legacyAlterTable?: boolean;
}

/** Specification of a SQLite table rebuild, run by `ctx.rebuildTable` (see @mfmig/schema-evolution). */
export interface RebuildTableSpec {
  table: string;
  /** The complete new `CREATE TABLE` statement, naming the table as it is now. */
  createSql: string;
  /** Column expressions for the copy, by new column name. Default: columns present in both. */
  columnMap?: Record<string, string>;
  /** Statements to create indexes of the new table; default: the old table's indexes, where their columns still exist. */
  indexes?: string[];
}

/** What a table rebuild did. */
export interface RebuildTableResult {
  table: string;
  rowsCopied: number;
  indexesRecreated: number;
  triggersRecreated: number;
  viewsRecreated: number;
  durationMs: number;
}

/** Given to every migration's `up` and `down`, and to services working inside a migration. */
export interface MigrationContext {
  /** The raw better-sqlite3 connection, inside the migration's transaction. */
  readonly raw: Database;
  readonly adapter: DatabaseAdapter;
  /**
   * The run's database on the async dialect boundary (the runner's connection, inside the
   * migration's transaction): what plugins and services read and write through.
   */
  readonly connection: SqliteConnection;
  readonly migration: Migration;
  readonly direction: Direction;
  readonly dryRun: boolean;
  readonly logger: Logger;
  /** Aborted when the user interrupts the run: long work stops at its next safe point. */
  readonly signal: AbortSignal | undefined;
  /** The run this migration belongs to. */
  readonly runId: string;
  /**
   * True for the down that takes a failed up back out (its continued work failed after its first
   * transaction committed): what this down drops is that attempt's own output, not data to keep.
   */
  readonly undoesFailedUp?: boolean;
  /** Runs one or many SQL statements (recorded in a dry run). */
  exec(sql: string): void;
  /** Rebuilds a table the safe SQLite way (12 steps), keeping indexes, triggers, views and child rows. */
  rebuildTable(spec: RebuildTableSpec): RebuildTableResult;
  /** Reports progress of a long operation. */
  progress(progress: OperationProgress): void;
  /** Adds to the rows this step processed (for metrics and progress). */
  countRows(rows: number): void;
  /** Shared state that services attach to a migration run (archives, transformation results). */
  readonly state: Map<string, unknown>;
}

/** The body of `up` or `down`. `db` is a Kysely instance on the migration's connection. */
export type MigrationFn = (db: Kysely<any>, ctx: MigrationContext) => Promise<void> | void;

// bodies that run their statements through `ctx.exec` and never read `db`
const SQL_BODIES = new WeakSet<MigrationFn>();

/**
 * Marks a body that never reads its `db` argument (a SQL file's section, run through
 * `ctx.exec`): the runner then hands it no Kysely instance, so a run of SQL migrations does not
 * load kysely. Returns the body.
 *
 * @example
 * const up = sqlBody((_db, ctx) => ctx.exec('CREATE TABLE t (id INTEGER);'));
 */
export function sqlBody(fn: MigrationFn): MigrationFn {
  SQL_BODIES.add(fn);
  return fn;
}

/**
 * The `db` argument for a body: none for a body marked by {@link sqlBody}; otherwise the
 * context's Kysely instance, built (and kysely loaded) when the body first touches it, so that a
 * module that works through `ctx` only costs no Kysely.
 *
 * @example
 * await m.up(bodyDb(m.up, ctx), ctx);
 */
export function bodyDb(fn: MigrationFn, ctx: { readonly db: Kysely<any> }): Kysely<any> {
  return SQL_BODIES.has(fn) ? (undefined as unknown as Kysely<any>) : onFirstUse(() => ctx.db);
}

/** A stand-in for the object `build` makes, built on the first use of the stand-in. */
function onFirstUse<T extends object>(build: () => T): T {
  let real: T | undefined;
  const target = (): T => (real ??= build());
  // methods run on the real object: Kysely keeps its state in private fields
  return new Proxy({} as T, {
    get(_, key) {
      const value: unknown = Reflect.get(target(), key);
      return typeof value === 'function' ? value.bind(target()) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor(_, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      // the stand-in's own target has none of these: a proxy must then call them configurable
      return descriptor && { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
  });
}

/** A migration as loaded: a version, the milestone it belongs to, and what it does. */
export interface Migration {
  /** Globally unique, ordered version number (the number before the first `_` of the file name). */
  version: number;
  /** File name without version and extension, e.g. `add_incident_tracking`. */
  name: string;
  /**
   * Milestone (MVP) number: the `mvpN` folder the file lives in, or the config's range that holds
   * its version. 0 when the folder has no milestones (a flat folder with none configured).
   */
  mvp: number;
  /**
   * The version as its format writes it, when that differs from `version`: Flyway's `1.1`
   * (encoded into `version` for ordering). Shown to users; `version` stays the ordering key.
   */
  versionLabel?: string;
  /** Absolute path of the file. */
  file: string;
  kind: 'sql' | 'module';
  description: string;
  /** sha256 of the normalised file content. */
  checksum: string;
  /** The dialect the file is written for (`0001_init.postgres.sql`); undefined for a file every dialect reads. */
  dialectVariant?: 'sqlite' | 'postgres';
  /** How `up` runs (and `down`, unless {@link Migration.transactions} says otherwise). */
  transaction: TransactionMode;
  /**
   * The mode of each direction when they differ: a `-- migrate:down transaction:false` marker
   * takes only the down section out of its transaction. Read it with {@link transactionModeOf}.
   */
  transactions?: Record<Direction, TransactionMode>;
  /** Foreign-key enforcement while `up` runs: `connection.up.foreignKeys`. */
  foreignKeys: 'on' | 'off';
  /**
   * The connection settings each direction runs under: the header or `meta`, plus the `PRAGMA
   * foreign_keys` / `PRAGMA legacy_alter_table` lines of a SQL section, which SQLite would ignore
   * inside the transaction. The runner applies them before `BEGIN` and restores them after.
   */
  connection: Record<Direction, ConnectionSettings>;
  irreversible: boolean;
  up: MigrationFn;
  down?: MigrationFn;
  /** The SQL of the up section (SQL migrations only). */
  upSql?: string;
  /** The SQL of the down section (SQL migrations only). */
  downSql?: string;
  /** The file line each SQL section starts on, where the file has sections (see {@link fileLineOf}). */
  sqlLines?: Partial<Record<Direction, number>>;
  /** Data transformations declared by a module (`export const transformations`), validated by @mfmig/transformer. */
  transformations: unknown[];
  /**
   * True for a module read for its metadata only (`loadMigrations(folder, { modules: 'metadata' })`):
   * its code was never imported, `up`/`down` throw, and its `transformations` are unknown (empty).
   */
  metadataOnly?: boolean;
}

/**
 * A migration that has no version and runs again whenever its content changes, after every
 * versioned migration of the run (Flyway's `R__name.sql`). It never goes down.
 */
export interface RepeatableMigration {
  /** `R__refresh_views.sql` gives `refresh_views`; unique within the folder. */
  name: string;
  description: string;
  /** Absolute path of the file. */
  file: string;
  /** sha256 of the normalised SQL: a change makes it pending again. */
  checksum: string;
  transaction: TransactionMode;
  connection: ConnectionSettings;
  sql: string;
  up: MigrationFn;
}

/** The folder layouts mfmig reads (see `loadMigrations`). */
export type MigrationFormat = 'mfmig' | 'dbmate' | 'golang-migrate' | 'flyway' | 'sqlx' | 'prisma';

/** A loaded migrations folder. */
export interface MigrationSet {
  root: string;
  /** The layout the folder was read as (detected from its file names, or forced). */
  format: MigrationFormat;
  /** All versioned migrations, ordered by version. */
  migrations: Migration[];
  /** Milestone numbers present, ascending; empty when the folder has no milestones. */
  milestones: number[];
  /** Where the milestones come from: `mvpN/` folders, the `milestones` option's version ranges, or nowhere. */
  milestoneSource?: 'folders' | 'ranges' | 'none';
  byVersion: Map<number, Migration>;
  /** Repeatable migrations (Flyway `R__`), by name; run after the versioned ones when changed. */
  repeatables: RepeatableMigration[];
}

/** The display name of a migration: `0007_add_incident_tracking`, or `V1.1_add_index` with a label. */
export function migrationLabel(m: Pick<Migration, 'version' | 'name'> & { versionLabel?: string }): string {
  return m.versionLabel === undefined ? `${String(m.version).padStart(4, '0')}_${m.name}` : `${m.versionLabel}_${m.name}`;
}

/**
 * The line in the migration's file of a line of one of its SQL sections (1-based both).
 *
 * @example
 * fileLineOf({ sqlLines: { up: 3 } }, 'up', 2); // 4: the section's second line is the file's fourth
 */
export function fileLineOf(m: Pick<Migration, 'sqlLines'>, direction: Direction, line: number): number {
  return (m.sqlLines?.[direction] ?? 1) + line - 1;
}

/**
 * The transaction mode a migration runs under in one direction.
 *
 * @example
 * transactionModeOf({ transaction: 'immediate', transactions: { up: 'immediate', down: 'none' } }, 'down'); // 'none'
 */
export function transactionModeOf(m: Pick<Migration, 'transaction' | 'transactions'>, direction: Direction): TransactionMode {
  return m.transactions?.[direction] ?? m.transaction;
}

/**
 * Whether a migration's direction runs in one transaction with its history row: its file asks
 * for one, and the dialect's DDL rolls back with a transaction (`capabilities.transactionalDdl`).
 * Otherwise its statements run one by one, and a failure leaves the ones before it applied.
 *
 * @example
 * runsInTransaction(m, 'up', adapter.capabilities); // false on an engine whose DDL does not roll back
 */
export function runsInTransaction(
  m: Pick<Migration, 'transaction' | 'transactions'>,
  direction: Direction,
  capabilities: Pick<DialectCapabilities, 'transactionalDdl'>,
): boolean {
  return capabilities.transactionalDdl && transactionModeOf(m, direction) === 'immediate';
}
