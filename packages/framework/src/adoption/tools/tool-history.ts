import { type DialectConnection, MfmigError } from '@mfmig/core';

/** The migration tools whose history tables mfmig adopts. */
export type MigrationTool = 'dbmate' | 'golang-migrate' | 'flyway' | 'sqlx' | 'prisma' | 'kysely' | 'knex';

/**
 * One migration another tool recorded as applied, as it names it: by version (`'20240101120000'`,
 * Flyway's `'1.1'`) or by file stem (`'20240101120000_init'`, knex's extension dropped).
 */
export type ToolRecord = { version: string; label: string } | { stem: string; label: string };

/** A repeatable migration another tool applied (Flyway `R__`): its script and that tool's checksum. */
export interface ToolRepeatable {
  script: string;
  checksum: number | null;
}

/** What another tool's history table says is applied. Read-only: the table is never written. */
export interface ToolHistory {
  tool: MigrationTool;
  /** The history table read. */
  table: string;
  /** Every table that tool keeps (history and lock): left out of the schema comparison. */
  ownTables: string[];
  /** The migrations recorded as applied, oldest first. */
  applied: ToolRecord[];
  /**
   * True when the tool records only its current version and every migration up to it counts as
   * applied (golang-migrate; a Flyway baseline row).
   */
  upTo?: ToolRecord;
  repeatables: ToolRepeatable[];
}

/**
 * Reads one tool's history table, on any dialect (a `SqliteConnection` or a `PostgresConnection`:
 * the queries are plain SQL both parse, and the values are read whatever type the tool stored
 * them with). `detect` is cheap and decides whether the database carries that tool's table;
 * `read` refuses (ADOPTION_REFUSED) a state that must be repaired by that tool first: a dirty or
 * failed migration, a held lock.
 */
export interface ToolHistoryReader {
  tool: MigrationTool;
  table: string;
  /** Every table the tool keeps (history and lock), whether present or not. */
  ownTables: readonly string[];
  detect(conn: DialectConnection): Promise<boolean>;
  read(conn: DialectConnection): Promise<ToolHistory>;
}

/** The column names of a table, lower-cased; empty when there is no such table. */
export async function columnsOf(conn: DialectConnection, table: string): Promise<Set<string>> {
  const info = await conn.introspector.table(table);
  return new Set((info?.columns ?? []).map((column) => column.name.toLowerCase()));
}

/** True when the query returns a row (a held lock, a failed migration). */
export async function anyRow(conn: DialectConnection, sql: string): Promise<boolean> {
  return (await conn.query(sql)).length > 0;
}

/** A flag as the tool stored it: SQLite's 0 and 1, PostgreSQL's booleans. */
export function isTrue(value: unknown): boolean {
  return value === true || (value !== false && value != null && Number(value) !== 0);
}

/** ADOPTION_REFUSED naming the tool's table; nothing was written. */
export function toolRefusal(tool: MigrationTool, table: string, reason: string, message: string, context: Record<string, unknown> = {}): MfmigError {
  return new MfmigError('ADOPTION_REFUSED', `${message}; nothing was written`, { context: { reason, tool, table, ...context } });
}

/** A version as text, whatever type the tool stored it with (`20240101120000`, a bigint, PostgreSQL's int8 as text, `'1.1'`). */
export function versionText(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : String(value).trim();
}
