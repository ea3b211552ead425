import type { Database } from 'better-sqlite3';
import type { Kysely } from 'kysely';

/** What a dialect can do, so that services test capabilities instead of dialect names. */
export interface AdapterCapabilities {
  /** DDL takes part in transactions (SQLite, PostgreSQL: yes; MySQL: no). */
  transactionalDdl: boolean;
  /** A write transaction can be started that excludes other writers (`BEGIN IMMEDIATE`). */
  immediateTransactions: boolean;
  /** An online, page-by-page backup API exists. */
  onlineBackup: boolean;
  /** Most column changes need a full table rebuild (SQLite). */
  requiresTableRebuild: boolean;
  /** FK enforcement is switched per connection, and only outside a transaction. */
  connectionLevelForeignKeys: boolean;
}

/** One row of `PRAGMA foreign_key_check`. */
export interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

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
  /** Path of the database file, or ':memory:'. */
  readonly filePath: string;
  quoteIdentifier(name: string): string;
  /** Runs one or many statements, one by one, naming the statement that fails. */
  exec(sql: string): void;
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
  foreignKeysEnabled(): boolean;
  /** Switches FK enforcement; throws when called inside a transaction, where SQLite ignores it. */
  setForeignKeys(on: boolean): void;
  foreignKeyCheck(table?: string): ForeignKeyViolation[];
  /** User tables (no `sqlite_` or `mfmig_` tables). */
  userTables(): string[];
  tableExists(name: string): boolean;
  rowCount(table: string): number;
  /** A hash of the schema (user objects only): equal schemas give equal hashes. */
  schemaFingerprint(): string;
  /** Bytes of the database file (page_count * page_size). */
  sizeBytes(): number;
  close(): void;
}
