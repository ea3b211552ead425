import { createHash } from 'node:crypto';
import { foreignKeyCheckSql } from './foreign-key-check.js';
import type { Database } from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { MfmigError, wrapSqliteError } from '../errors/index.js';
import BetterSqlite3 from 'better-sqlite3';
import type { AdapterCapabilities, DatabaseAdapter, ForeignKeyViolation, JournalMode, PreparedStatement, TableColumn } from './database-adapter.js';
import { kyselyModule } from '../lazy/load-on-use.js';
import { abbreviateSql } from './abbreviate-sql.js';
import { quoteIdentifier } from './quote.js';
import { splitSqlStatements } from './sql-splitter.js';
import { SqliteIntrospector } from './sqlite-introspector.js';

/** SQLite's capabilities (see {@link AdapterCapabilities} for why each has its value). */
const SQLITE_CAPABILITIES: AdapterCapabilities = Object.freeze({
  transactionalDdl: true,
  nonTransactionalStatements: false,
  advisoryLocks: false,
  queuedLockWaits: false,
  tableLocks: false,
});

function withoutCapabilities(changes: Partial<AdapterCapabilities> | undefined): AdapterCapabilities {
  if (!changes) return SQLITE_CAPABILITIES;
  for (const [name, on] of Object.entries(changes)) {
    if (!(name in SQLITE_CAPABILITIES)) throw new MfmigError('USAGE', `Unknown capability "${name}"; use ${Object.keys(SQLITE_CAPABILITIES).join(', ')}`);
    if (on === true && !SQLITE_CAPABILITIES[name as keyof AdapterCapabilities]) {
      throw new MfmigError('USAGE', `SQLite has no ${name}: a capability can be switched off, not on`);
    }
  }
  return Object.freeze({ ...SQLITE_CAPABILITIES, ...changes });
}

/** Objects that belong to the user's schema: not SQLite's own, not mfmig's bookkeeping. */
export const USER_OBJECT_FILTER = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(tbl_name, 1, 6) <> 'mfmig_'";

/**
 * {@link DatabaseAdapter} over a better-sqlite3 connection.
 *
 * @example
 * const adapter = new SqliteAdapter(new Database('./knowledge.db'));
 * adapter.transaction(() => adapter.exec('CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t DEFAULT VALUES;'));
 */
export class SqliteAdapter implements DatabaseAdapter {
  readonly dialect = 'sqlite' as const;
  readonly capabilities: AdapterCapabilities;
  readonly raw: Database;
  readonly #ownsConnection: boolean;
  readonly watchesStatements: boolean;
  #kysely: Kysely<any> | undefined;
  #introspector: SqliteIntrospector | undefined;

  /**
   * `capabilities` switches capabilities off, never on: for an engine behind this driver that
   * lacks one (DDL that does not roll back), and for tests of the runners' fallback paths.
   * `watchesStatements`: `raw` reports each statement it prepares to a watcher (see `watchStatements`).
   */
  constructor(raw: Database, options: { ownsConnection?: boolean; capabilities?: Partial<AdapterCapabilities>; watchesStatements?: boolean } = {}) {
    this.raw = raw;
    this.#ownsConnection = options.ownsConnection ?? false;
    this.watchesStatements = options.watchesStatements ?? false;
    this.capabilities = withoutCapabilities(options.capabilities);
  }

  get kysely(): Kysely<any> {
    if (!this.#kysely) {
      const { Kysely, SqliteDialect } = kyselyModule();
      this.#kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: this.raw }) });
    }
    return this.#kysely;
  }

  /** This connection's introspector, made on first use: its statements are prepared once for the connection's life. */
  get introspector(): SqliteIntrospector {
    return (this.#introspector ??= new SqliteIntrospector(this));
  }

  get filePath(): string {
    return this.raw.name;
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  quoteIdentifier(name: string): string {
    return quoteIdentifier(name);
  }

  splitStatements(sql: string): string[] {
    return splitSqlStatements(sql);
  }

  exec(sql: string): void {
    const statements = splitSqlStatements(sql);
    for (const statement of statements) {
      try {
        this.raw.exec(statement);
      } catch (error) {
        throw wrapSqliteError(error, 'MIGRATION_FAILED', `Statement failed: ${abbreviateSql(statement)}`, { statement });
      }
    }
  }

  runScript(sql: string): void {
    this.raw.exec(sql);
  }

  run(sql: string, params: unknown[] = []): { changes: number; lastInsertRowid: number | bigint } {
    return this.raw.prepare(sql).run(...params);
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): T[] {
    return this.raw.prepare(sql).all(...params) as T[];
  }

  get<T = Record<string, unknown>>(sql: string, params: unknown[] = []): T | undefined {
    return this.raw.prepare(sql).get(...params) as T | undefined;
  }

  prepare(sql: string): PreparedStatement {
    return this.raw.prepare(sql);
  }

  value<T = unknown>(sql: string, params: unknown[] = []): T | undefined {
    return this.raw
      .prepare(sql)
      .pluck()
      .get(...params) as T | undefined;
  }

  column<T = unknown>(sql: string, params: unknown[] = []): T[] {
    return this.raw
      .prepare(sql)
      .pluck()
      .all(...params) as T[];
  }

  get isOpen(): boolean {
    return this.raw.open;
  }

  get isMemory(): boolean {
    return this.raw.memory;
  }

  get isReadonly(): boolean {
    return this.raw.readonly;
  }

  backupTo(
    target: string,
    progress: (state: { totalPages: number; remainingPages: number }) => number,
  ): Promise<{ totalPages: number; remainingPages: number }> {
    return this.raw.backup(target, { progress });
  }

  checkIntegrity(level: 'quick' | 'full', limit: number): string[] {
    const pragma = level === 'full' ? 'integrity_check' : 'quick_check';
    const rows = this.column(`PRAGMA ${pragma}(${Math.max(1, Math.trunc(limit))})`).map(String);
    return rows.length === 1 && rows[0] === 'ok' ? [] : rows;
  }

  journalMode(): JournalMode {
    return String(this.raw.pragma('journal_mode', { simple: true })).toLowerCase() as JournalMode;
  }

  setJournalMode(mode: JournalMode): JournalMode {
    return String(this.raw.pragma(`journal_mode = ${mode}`, { simple: true })).toLowerCase() as JournalMode;
  }

  changeStamp(): string {
    return `${String(this.raw.pragma('schema_version', { simple: true }))}:${String(this.value('SELECT total_changes()'))}`;
  }

  memoryCopy(): Database {
    const image = this.raw.serialize();
    // bytes 18 and 19 are the write and read format versions: 2 marks WAL, which memory cannot be
    if (image[18] === 2) image[18] = image[19] = 1;
    return new BetterSqlite3(image);
  }

  beginImmediate(): void {
    this.raw.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.raw.exec('COMMIT');
  }

  rollback(): void {
    if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
  }

  transaction<T>(fn: () => T): T {
    return this.raw.transaction(fn).immediate();
  }

  foreignKeysEnabled(): boolean {
    return this.raw.pragma('foreign_keys', { simple: true }) === 1;
  }

  setForeignKeys(on: boolean): void {
    if (this.raw.inTransaction) {
      throw new MfmigError('INTERNAL', 'Foreign keys cannot be switched inside a transaction (SQLite ignores it there)');
    }
    this.raw.pragma(`foreign_keys = ${on ? 'ON' : 'OFF'}`);
  }

  foreignKeyCheck(table?: string): ForeignKeyViolation[] {
    return this.raw.prepare(foreignKeyCheckSql(table)).all() as ForeignKeyViolation[];
  }

  userTables(): string[] {
    return this.raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND ${USER_OBJECT_FILTER} ORDER BY name`).pluck().all() as string[];
  }

  tableExists(name: string): boolean {
    return this.raw.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  columnNames(table: string): string[] {
    return this.raw.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
  }

  columnsOf(table: string): TableColumn[] {
    const rows = this.raw.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)').all(table) as {
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }[];
    return rows.map((r) => ({ name: r.name, type: r.type, notNull: r.notnull === 1, pk: r.pk }));
  }

  rowCount(table: string): number {
    return Number(
      this.raw
        .prepare(`SELECT count(*) FROM ${quoteIdentifier(table)}`)
        .pluck()
        .get(),
    );
  }

  hasMoreRowsThan(table: string, limit: number): boolean {
    // every table holds more than -1 rows (an online rebuild's `minRows: 0` takes empty tables too)
    if (limit < 0) return true;
    const n = Math.floor(limit);
    const seen = this.raw
      .prepare(`SELECT count(*) FROM (SELECT 1 FROM ${quoteIdentifier(table)} LIMIT ${n + 1})`)
      .pluck()
      .get();
    return Number(seen) > n;
  }

  schemaFingerprint(): string {
    const rows = this.raw.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE ${USER_OBJECT_FILTER} ORDER BY type, name`).raw().all();
    return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
  }

  sizeBytes(): number {
    const pages = Number(this.raw.pragma('page_count', { simple: true }));
    const size = Number(this.raw.pragma('page_size', { simple: true }));
    return pages * size;
  }

  close(options: { evenIfShared?: boolean } = {}): void {
    if ((this.#ownsConnection || options.evenIfShared === true) && this.raw.open) this.raw.close();
  }
}

/** @deprecated Use {@link abbreviateSql}, which also drops comments. */
export const abbreviate = abbreviateSql;
