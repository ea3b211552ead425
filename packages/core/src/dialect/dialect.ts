import type { Kysely } from 'kysely';
import type { Logger } from '../config/index.js';
import type { ConnectionSettings, Migration, MigrationContext } from '../migration/index.js';
import type { OperationProgress } from '../events/index.js';
import type { HistoryEntry, MigrationFailure } from '../history/history-store.js';
import type { RepeatableEntry } from '../history/repeatable-store.js';
import type { NewStepMetric, StepMetric } from '../history/metrics-store.js';
import type { TableRebuilder } from '../runner/migration-plugin.js';
import type { BatchPacing } from '../runner/batch-pacer.js';
import type { DialectBackupHooks } from './backup-hooks.js';

/** The databases mfmig runs on. */
export type DialectName = 'sqlite' | 'postgres';

/**
 * What a dialect can do. The runner reads these flags, never the dialect's name, to decide how
 * to wrap a migration and how to guard a run.
 */
export interface DialectCapabilities {
  /** DDL commits and rolls back with the transaction around it (SQLite, PostgreSQL; not CockroachDB's schema changes). */
  transactionalDdl: boolean;
  /**
   * Some statements refuse to run inside a transaction block (`CREATE INDEX CONCURRENTLY`,
   * `ALTER TYPE ... ADD VALUE` before PostgreSQL 12, `VACUUM`): such a file must say
   * `transaction: none`, and the runner detects the statements in a transactional file.
   */
  nonTransactionalStatements: boolean;
  /** Session advisory locks exist (`pg_advisory_lock`). Without them the lock row alone guards a run. */
  advisoryLocks: boolean;
  /**
   * A transaction that waits for a lock is queued and granted it the moment the holder commits
   * (PostgreSQL's lock manager). Without it (SQLite), a waiting writer polls from a busy handler,
   * so batched work pauses after each commit to let it in (see `pacingFor`).
   */
  queuedLockWaits: boolean;
  /**
   * A transaction can hold one table still against writers while the rest of the database goes
   * on (PostgreSQL's `LOCK TABLE ... IN SHARE MODE`). Without it, either a write transaction holds
   * the whole database still already (SQLite's `BEGIN IMMEDIATE`), or the engine has no such lock
   * and its serializable transactions abort a conflicting writer instead (CockroachDB).
   */
  tableLocks: boolean;
}

/** A column as the catalogs describe it. */
export interface ColumnInfo {
  name: string;
  /** The type as the database spells it (`integer`, `text`, `character varying(20)`). */
  type: string;
  nullable: boolean;
  /** The default expression, or null. */
  defaultSql: string | null;
  /** A generated (computed) column; absent for a plain one. */
  generated?: boolean;
}

/** An index as the catalogs describe it. */
export interface IndexInfo {
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  /** False for an index left invalid by a failed `CREATE INDEX CONCURRENTLY` (PostgreSQL). */
  valid: boolean;
  /** The statement that creates it, as the database prints it. */
  definition: string;
}

/** A foreign key as the catalogs describe it. */
export interface ForeignKeyInfo {
  name: string;
  table: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  /** False for a constraint added `NOT VALID` and never validated (PostgreSQL). */
  validated: boolean;
}

/** A view as the catalogs describe it. */
export interface ViewInfo {
  name: string;
  definition: string;
  /** Its columns, in order, where the introspector reads them (`objects()` on PostgreSQL). */
  columns?: string[];
  /** A materialized view (PostgreSQL), where the introspector reads it. */
  materialized?: boolean;
  /** A materialized view's indexes (`objects()` on PostgreSQL), sorted by name; `REFRESH ... CONCURRENTLY` needs a unique one. */
  indexes?: IndexInfo[];
}

/** A table with its columns, indexes and foreign keys. */
export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  indexes: IndexInfo[];
  foreignKeys: ForeignKeyInfo[];
  /** The primary key's columns, in order; empty when it has none. */
  primaryKey: string[];
}

/** A CHECK constraint of a table, its definition as the catalogs print it (`CHECK ((qty > 0))`). */
export interface CheckInfo {
  table: string;
  name: string;
  definition: string;
}

/** A trigger of a table, its definition as the catalogs print it. */
export interface TriggerInfo {
  table: string;
  name: string;
  definition: string;
}

/** A function or procedure of the schema. */
export interface RoutineInfo {
  name: string;
  /** Its argument types, the part of the signature that tells overloads apart (`integer, text`). */
  arguments: string;
  kind: 'function' | 'procedure' | 'aggregate' | 'window';
  /** What it returns (`integer`, `SETOF accounts`, `trigger`); null for a procedure. */
  result: string | null;
  /** The statement that creates it, without its schema's name; null for an aggregate. */
  definition: string | null;
}

/** An enum type with its labels, in their sort order. */
export interface EnumTypeInfo {
  name: string;
  labels: string[];
}

/** A domain: a base type with constraints of its own, which every column of the domain's type obeys. */
export interface DomainInfo {
  name: string;
  /** The base type (`integer`, `character varying(80)`). */
  baseType: string;
  notNull: boolean;
  /** The default expression, or null. */
  defaultSql: string | null;
  /** Its CHECK constraints, each printed as the catalogs print it (`CHECK (VALUE > 0)`), sorted. */
  checks: string[];
}

/** A composite type made by `CREATE TYPE ... AS (...)`: its attributes in order. */
export interface CompositeTypeInfo {
  name: string;
  attributes: { name: string; type: string }[];
}

/**
 * A sequence and its settings; not its current value, which every insert moves. A sequence a
 * column owns (`serial`, an identity) names that column.
 */
export interface SequenceInfo {
  name: string;
  /** `smallint`, `integer` or `bigint`. */
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** The column that owns it, or null for a sequence of its own. */
  ownedBy: { table: string; column: string } | null;
}

/**
 * How a table takes part in partitioning (PostgreSQL): its partition key when it is partitioned,
 * and the table it is a partition of with its bound when it is a partition.
 */
export interface PartitionInfo {
  table: string;
  /** `RANGE (at)`, `LIST (region)`, `HASH (id)`; null for a table that is not partitioned. */
  partitionKey: string | null;
  /** The partitioned table it is attached to, or null. */
  partitionOf: string | null;
  /** `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`, `DEFAULT`; null when it is no partition. */
  bound: string | null;
}

/** A column that is an identity or a generated column, which {@link ColumnInfo} does not tell apart. */
export interface ColumnKindInfo {
  table: string;
  column: string;
  /** `GENERATED ALWAYS AS IDENTITY`, `GENERATED BY DEFAULT AS IDENTITY`, or null. */
  identity: 'always' | 'by default' | null;
  /** The expression of a generated column, or null. */
  generated: string | null;
}

/**
 * Everything in a schema that diff and drift compare: its tables and the objects beside them. Each
 * list is sorted, and no definition names the schema, so the same objects in two schemas (a
 * rehearsal's scratch schema and the live one) read the same.
 */
export interface SchemaObjects {
  tables: TableInfo[];
  views: ViewInfo[];
  checks: CheckInfo[];
  triggers: TriggerInfo[];
  routines: RoutineInfo[];
  enumTypes: EnumTypeInfo[];
  domains: DomainInfo[];
  compositeTypes: CompositeTypeInfo[];
  sequences: SequenceInfo[];
  /** The tables that are partitioned or partitions, by name. */
  partitions: PartitionInfo[];
  columnKinds: ColumnKindInfo[];
}

/**
 * Reads a database's schema from its catalogs. One introspector per dialect serves every
 * package: the runner, validation, snapshots and diff. mfmig's own tables are left out.
 */
export interface DatabaseIntrospector {
  /** User tables, by name. */
  tables(): Promise<TableInfo[]>;
  /** One table, or undefined when it does not exist. */
  table(name: string): Promise<TableInfo | undefined>;
  /** User views (materialized ones too on PostgreSQL), by name, with their definitions as the database prints them. */
  views(): Promise<ViewInfo[]>;
  /** A hash of the user schema: equal schemas give equal hashes. */
  schemaFingerprint(): Promise<string>;
}

/** One thing an integrity check found. */
export interface IntegrityFinding {
  /** A stable code: `INVALID_INDEX`, `CONSTRAINT_NOT_VALIDATED`, `FOREIGN_KEY_ORPHANS`, `SEQUENCE_BEHIND`, ... */
  code: string;
  severity: 'error' | 'warning' | 'info';
  /** The table (or object) it is about. */
  object: string;
  message: string;
}

/** The dialect's own integrity checks, run by validation and before risky work. */
export interface IntegrityChecks {
  /** Every check the dialect has, in one pass; an empty list means nothing was found. */
  run(): Promise<IntegrityFinding[]>;
}

/** How a run that is waiting for the lock learns who holds it. */
export interface DialectLockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
  /** True when the run that holds it is gone (its process or server session ended, or its heartbeat stopped): the next run takes the lock over. */
  stale: boolean;
  /** True when this very process holds it (a framework holds the lock across a run's steps). */
  heldHere: boolean;
  /** Who holds it, in words for a message: `pid 4242 on host build-7, running "migrate" since ...`, with what the dialect knows besides (another container). */
  description: string;
}

/** Options of {@link DialectLock.acquire}. */
export interface LockAcquireOptions {
  /** How long to wait for another runner, in ms. */
  timeoutMs: number;
  command: string;
  onWait?: (holder: DialectLockHolder) => void;
  /** A holder replaced: `stale` (its process or session is gone), or `invalid` (a row no run can have written); `detail` says why. */
  onTakeover?: (event: { holder: DialectLockHolder; reason: 'stale' | 'invalid'; detail: string }) => void;
}

/**
 * The lock that lets one runner at a time change a database. It is held by the connection, not
 * by a task: while a connection holds it, a second `acquire` on the same connection returns at
 * once instead of waiting. Two tasks of one process that must exclude each other take it on two
 * connections, as `Migrator` does by giving each run a connection of its own.
 */
export interface DialectLock {
  acquire(options: LockAcquireOptions): Promise<void>;
  release(): Promise<void>;
  /** True from an `acquire` of this connection's lock until its `release`. */
  readonly held: boolean;
  /** Who holds it now, or null. */
  holder(): Promise<DialectLockHolder | null>;
}

/**
 * One open connection of a dialect: everything the runner and the services need from the
 * database, and nothing that reaches past it. Each dialect's folder is the only place that
 * imports its driver.
 */
export interface DialectConnection {
  readonly dialect: DialectName;
  readonly capabilities: DialectCapabilities;
  /** What the connection points at, for messages: a file path, or `database/schema` on a server. */
  readonly target: string;
  /** A Kysely instance on this connection, for type-safe queries. */
  readonly kysely: Kysely<any>;
  readonly introspector: DatabaseIntrospector;
  readonly integrity: IntegrityChecks;
  readonly lock: DialectLock;
  /** Copies, checks and restores what mfmig works on (see {@link DialectBackupHooks}). */
  readonly backup: DialectBackupHooks;
  /** Rows of one statement. Parameters are written `$1`, `$2`, ... on every dialect (SQLite also takes `?`). */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs one statement; returns the rows it changed. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  /** True when a table of this name exists where mfmig works (its own tables included, which the introspector leaves out). */
  hasTable(name: string): Promise<boolean>;
  /** Splits a script the way this dialect parses it. */
  splitStatements(sql: string): Promise<string[]>;
  /** Runs a script's statements one by one, naming the statement that fails. */
  executeScript(sql: string): Promise<void>;
  /** Runs `fn` in one transaction: all of it, or nothing. Inside a transaction already, in a savepoint of it (a failure of `fn` leaves the outer transaction usable). */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  readonly inTransaction: boolean;
  close(): Promise<void>;
}

/** One statement of a migration script, as the dialect's parser sees it. */
export interface ScriptStatement {
  sql: string;
  /** 1-based line of the script where it starts. */
  line: number;
  /** Why the statement cannot run inside a transaction block; undefined when it can. */
  nonTransactional?: string;
  /** True when the dialect's parser knows it cannot delete, change or drop stored data (an index build or drop, VACUUM, ...). */
  keepsData?: boolean;
}

/** One line of the audit log (`mfmig_audit`): a deliberate change to the history, and who made it. */
export interface AuditEntry {
  at: string;
  action: string;
  version: number | null;
  actor: string;
  detail: string | null;
}

/** The history a runner keeps in the database: the same rows on every dialect. */
export interface DialectHistory {
  ensure(): Promise<void>;
  exists(): Promise<boolean>;
  list(): Promise<HistoryEntry[]>;
  has(version: number): Promise<boolean>;
  record(entry: Omit<HistoryEntry, 'appliedBy' | 'appliedAt'>): Promise<void>;
  remove(version: number): Promise<void>;
  /**
   * Marks a `partial` version applied, with its whole duration, the schema's fingerprint and,
   * when given, the rows its data work processed (in the caller's transaction).
   */
  markApplied(version: number, done: { durationMs: number; schemaHash: string | null; rows?: number }): Promise<void>;
  /** Sets the schema fingerprint of an applied version's row. */
  setSchemaHash(version: number, hash: string): Promise<void>;
  audit(action: string, version: number | null, detail: string): Promise<void>;
  /** The audit log, oldest first; empty when the table does not exist. */
  auditLog(): Promise<AuditEntry[]>;
  acceptChecksum(version: number, checksum: string, reason: string): Promise<void>;
  recordFailure(version: number, direction: 'up' | 'down', message: string): Promise<void>;
  /**
   * Records, outside any transaction, that a failed run could not be taken back (neither by its
   * downs nor by its pre-run backup): `status` reports it as `RUN_NOT_REVERTED`.
   */
  recordNotReverted(version: number, message: string): Promise<void>;
  failures(): Promise<MigrationFailure[]>;
  /** The content each repeatable migration last ran with (`mfmig_repeatable`), by name; empty when none ever ran. */
  repeatables(): Promise<RepeatableEntry[]>;
  /** Creates `mfmig_repeatable` when missing (outside a transaction; two runners creating it at once both succeed). */
  ensureRepeatables(): Promise<void>;
  /** Records the content a repeatable migration just ran with, in the caller's transaction; the table must exist. */
  recordRepeatable(name: string, checksum: string, runId: string): Promise<void>;
}

/** The per-step metrics a runner keeps in the database (`mfmig_metrics`): the same rows on every dialect. */
export interface DialectMetrics {
  /** Creates the table when missing (outside a transaction; two runners creating it at once both succeed). */
  ensure(): Promise<void>;
  /** Writes one row, in the caller's transaction; the table must exist ({@link ensure}). */
  record(metric: NewStepMetric): Promise<void>;
  /** The rows (of one run, or all), oldest first; empty when the table does not exist. */
  list(runId?: string): Promise<StepMetric[]>;
}

/** What {@link StepGuard.watch} needs to know of the step whose body it watches. */
export interface WatchOptions {
  /** The body runs in the step's transaction: what a check finds is rolled back with it; otherwise it is stopped as it happens. */
  transactional: boolean;
  runId: string;
  dryRun: boolean;
  logger: Logger;
  /** Rows the body counts (`ctx.countRows`): the step's metrics. */
  onRows(rows: number): void;
  /** Progress the body reports (`ctx.progress`). */
  onProgress(progress: OperationProgress): void;
  /** The down that takes a failed up back out (see `DialectStep.undoesFailedUp`). */
  undoesFailedUp?: boolean;
  /** What performs `ctx.rebuildTable` (`rebuildTableInMigration` of @mfmig/schema-evolution); without it the call is refused. */
  rebuildTable?: TableRebuilder;
  /**
   * Tables whose lost rows a participant accounted for in this step (archived them, or was told
   * to let them go: `'*'`); asked when the body is verified. See `DialectStep.accountLosses`.
   */
  accounted?: () => readonly string[] | '*';
}

/** The body of one migration step, watched by its dialect's checks. */
export interface GuardedBody {
  /** What the migration's `up` or `down` is called with: every statement it runs through them is checked and watched. */
  readonly db: Kysely<any>;
  readonly ctx: MigrationContext;
  /** The statements the body ran, in order. */
  readonly statements: readonly string[];
  /** After the body: throws (MIGRATION_FAILED, HISTORY_TAMPERED, MIGRATION_FORBIDDEN) when a check fails, before the step commits. */
  verify(): Promise<void>;
  /** After the body threw: stops watching (its own error is what the caller reports). */
  abandon(): Promise<void>;
}

/**
 * A dialect's own checks around each migration's body, for a dialect whose migrations can destroy
 * data they never name. On SQLite a table rebuild's `DROP TABLE` deletes child rows through
 * ON DELETE CASCADE, and foreign keys can only be switched off outside a transaction; PostgreSQL
 * refuses such a drop, and has none. A runner that finds one runs every body through it.
 */
export interface StepGuard {
  /**
   * Applies the settings a migration asks for (SQLite's foreign keys and `legacy_alter_table`) and
   * returns what puts the previous ones back. Foreign keys change only outside a transaction.
   */
  applySettings(settings: ConnectionSettings): Promise<() => Promise<void>>;
  /** Starts watching the body of `m`; call in its transaction (if it has one), right before the body. */
  watch(m: Migration, direction: 'up' | 'down', options: WatchOptions): Promise<GuardedBody>;
  /**
   * Runs the long part of an up migration ahead of its transaction, while the application keeps
   * writing, where the dialect can (SQLite's online table rebuild: a shadow table copied in short
   * batches). Returns the migration that finishes it (the swap), to run in the step's usual
   * transaction, or `m` itself when there is nothing to run ahead. Called before the step's
   * transaction, under the run's lock, never in a dry run.
   */
  runAhead?(m: Migration, options: AheadOptions): Promise<Migration>;
}

/** What {@link StepGuard.runAhead} needs. */
export interface AheadOptions {
  /** Which tables are large enough to rebuild online, and how the batches are paced. */
  online: OnlineRebuildSettings;
  signal?: AbortSignal;
  /** Progress of the copy (`rebuild <table>`, in rows). */
  onProgress(progress: OperationProgress): void;
}

/** How a runner rebuilds large tables online (see {@link StepGuard.runAhead}). */
export interface OnlineRebuildSettings {
  /** A table rebuild over at least this many rows runs online. */
  minRows: number;
  /** The copy's batches: about `targetMs` each, `pauseMs` apart. */
  pacing: BatchPacing;
}

/** What a runner needs beyond {@link DialectConnection}: explicit transactions, the history and metrics, lock waits. */
export interface RunnableConnection extends DialectConnection {
  readonly history: DialectHistory;
  readonly metrics: DialectMetrics;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** The statements of a script, with those that cannot run in a transaction marked. */
  analyzeScript(sql: string): Promise<ScriptStatement[]>;
  /** Bounds how long one statement waits for a table lock (`lock_timeout`), for the transaction or the session; `null` resets it. */
  setLockTimeout(ms: number | null, scope: 'transaction' | 'session'): Promise<void>;
  /** True when `error` says a statement gave up waiting for a lock under {@link setLockTimeout}. */
  isLockTimeout(error: unknown): boolean;
  /** True when the server aborted the transaction over a conflict the same work may pass on a second try (serialization failure, deadlock). */
  isTransientConflict(error: unknown): boolean;
  /** The dialect's checks around each migration's body, where it has any (SQLite); a runner runs every body through them. */
  readonly stepGuard?: StepGuard;
  /**
   * Opens an empty place of the same dialect to rehearse migrations in (an in-memory database on
   * SQLite, a scratch schema on the same PostgreSQL server); `dispose` removes it. What needs a
   * rehearsal (the adoption check) assumes the worst where a connection has none.
   */
  openScratch?(): Promise<ScratchConnection>;
  /**
   * Opens a copy of the whole database, for a rehearsal that cannot run in one transaction that
   * is rolled back (on SQLite, downs that switch foreign keys: the switch is a no-op inside a
   * transaction); `dispose` removes it.
   */
  openCopy?(): Promise<ScratchConnection>;
}

/** An empty place of a connection's dialect (see {@link RunnableConnection.openScratch}). */
export interface ScratchConnection {
  readonly connection: RunnableConnection;
  /** Closes the scratch connection and removes what it holds. */
  dispose(): Promise<void>;
}
