import type { Database } from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../dialect/dialect.js';
import type { SqliteIntrospector } from './sqlite-introspector.js';

/**
 * What the SQLite dialect can do: the same five flags as every dialect's
 * {@link DialectCapabilities}, read by the runners (never the dialect's name). SQLite's values:
 * - `transactionalDdl: true`: a migration's DDL commits or rolls back with its history row;
 * - `nonTransactionalStatements: false`: the one statement SQLite refuses in a transaction,
 *   `VACUUM`, is refused in every migration (it rewrites the whole file), and the runner applies
 *   connection PRAGMAs (`foreign_keys`, `legacy_alter_table`) outside the transaction itself;
 * - `advisoryLocks: false`: runs are guarded by the `mfmig_lock` row alone;
 * - `queuedLockWaits: false`: a writer waiting for the lock polls from its busy handler, so
 *   batches pause after each commit to let it in;
 * - `tableLocks: false`: a write transaction (`BEGIN IMMEDIATE`) holds every table still already.
 */
export type AdapterCapabilities = DialectCapabilities;

/** One row of `PRAGMA foreign_key_check`. */
export interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/**
 * A statement compiled once and run many times (bulk inserts, keyset batches). Parameters are
 * positional; rows come back as objects keyed by column name.
 */
export interface PreparedStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** From now on rows are their first column's value (on by default when called without an argument). */
  pluck(on?: boolean): this;
  /** From now on integers come back as bigints, exact beyond 2^53 (on by default when called without an argument). */
  safeIntegers(on?: boolean): this;
  /** From now on rows are arrays of values in column order, not objects (faster for wide scans). */
  raw(on?: boolean): this;
  /** The result columns' names, in order. */
  columns(): { name: string }[];
  /** True for a statement that returns rows (a query), false for one that only writes. */
  readonly reader: boolean;
  /** True for a statement that writes nothing (it may be run again with the same result). */
  readonly readonly: boolean;
}

/** A column as {@link DatabaseAdapter.columnsOf} lists it. */
export interface TableColumn {
  name: string;
  /** The declared type, as written (`INTEGER`, `TEXT`, or empty). */
  type: string;
  notNull: boolean;
  /** 1-based position in the primary key; 0 when the column is not part of it. */
  pk: number;
}

/** SQLite's journal modes (`PRAGMA journal_mode`). */
export type JournalMode = 'delete' | 'truncate' | 'persist' | 'memory' | 'wal' | 'off';

/**
 * The database as mfmig's services see it. Dialect-specific SQL lives behind this interface;
 * the SQLite implementation is {@link SqliteAdapter}.
 */
export interface DatabaseAdapter {
  readonly dialect: 'sqlite';
  readonly capabilities: AdapterCapabilities;
  /** The raw better-sqlite3 connection (SQLite only). */
  readonly raw: Database;
  /** A Kysely instance over the same connection. */
  readonly kysely: Kysely<any>;
  /**
   * The connection's catalog reader, one per connection, so that its statements are prepared
   * once: every package reads the schema through it.
   */
  readonly introspector: SqliteIntrospector;
  /** Path of the database file, or ':memory:'. */
  readonly filePath: string;
  quoteIdentifier(name: string): string;
  /** Runs one or many statements, one by one, naming the statement that fails. */
  exec(sql: string): void;
  /** Runs a script of mfmig's own statements in one call; SQLite's own error comes through unchanged. */
  runScript(sql: string): void;
  run(sql: string, params?: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): T[];
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): T | undefined;
  /** Splits a script into statements the way this dialect parses it. */
  splitStatements(sql: string): string[];
  readonly inTransaction: boolean;
  beginImmediate(): void;
  commit(): void;
  rollback(): void;
  /** Runs `fn` in one IMMEDIATE transaction: all of it, or nothing. */
  transaction<T>(fn: () => T): T;
  /** Compiles `sql` once, for a statement run many times. */
  prepare(sql: string): PreparedStatement;
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(sql: string, params?: unknown[]): T | undefined;
  /** The first column of every row. */
  column<T = unknown>(sql: string, params?: unknown[]): T[];
  /** False once the connection is closed. */
  readonly isOpen: boolean;
  /** True for an in-memory database (no file). */
  readonly isMemory: boolean;
  /** True for a connection opened read-only. */
  readonly isReadonly: boolean;
  /**
   * True when a watcher sees each statement as it is prepared (`watchStatements`): every run
   * must be prepared again to be seen, so a connection over this adapter keeps no compiled statement.
   */
  readonly watchesStatements: boolean;
  /**
   * `PRAGMA quick_check(limit)` (`'quick'`, O(N)) or `integrity_check(limit)` (`'full'`, indexes
   * and UNIQUE too): the problems it names, or an empty list when the file is sound.
   */
  checkIntegrity(level: 'quick' | 'full', limit: number): string[];
  /** The journal mode now in force (`PRAGMA journal_mode`). */
  journalMode(): JournalMode;
  /** Asks for a journal mode; returns the mode in force afterwards, which SQLite may have refused to change. */
  setJournalMode(mode: JournalMode): JournalMode;
  /** A stamp that changes whenever this connection wrote or any connection changed the schema (`schema_version`, `total_changes()`). */
  changeStamp(): string;
  /**
   * An in-memory copy of the whole database, as a connection `createMigrationFramework`'s
   * `database` option takes; a WAL database's copy is marked rollback-journal, which memory needs.
   */
  memoryCopy(): Database;
  /**
   * Copies the database page by page into `target` with SQLite's online backup API. `progress`
   * is called between steps and returns how many pages the next step copies.
   */
  backupTo(
    target: string,
    progress: (state: { totalPages: number; remainingPages: number }) => number,
  ): Promise<{ totalPages: number; remainingPages: number }>;
  foreignKeysEnabled(): boolean;
  /** Switches FK enforcement; throws when called inside a transaction, where SQLite ignores it. */
  setForeignKeys(on: boolean): void;
  foreignKeyCheck(table?: string): ForeignKeyViolation[];
  /** User tables (no `sqlite_` or `mfmig_` tables). */
  userTables(): string[];
  tableExists(name: string): boolean;
  /** The column names of a table or view (mfmig's own included), in order; empty when it does not exist. */
  columnNames(table: string): string[];
  /**
   * The columns of a table or view (a TEMP one first, as SQLite resolves the name), in order, with
   * the declared type and the position in the primary key (0 when not in it); empty when it does
   * not exist.
   */
  columnsOf(table: string): TableColumn[];
  rowCount(table: string): number;
  /**
   * Whether a table holds more than `limit` rows, reading at most `limit + 1` of them: a size
   * decision that must not scan a large table (and, with a rollback journal, hold the
   * application's commits for the scan).
   */
  hasMoreRowsThan(table: string, limit: number): boolean;
  /** A hash of the schema (user objects only): equal schemas give equal hashes. */
  schemaFingerprint(): string;
  /** Bytes of the database file (page_count * page_size). */
  sizeBytes(): number;
  /**
   * Closes the connection when the adapter opened it; `evenIfShared` closes one its caller handed
   * in too (a restore replaces the file under it).
   */
  close(options?: { evenIfShared?: boolean }): void;
}
