import { bindNumbered } from './numbered-params.js';
import { foreignKeyCheckSql } from './foreign-key-check.js';
import { allExact } from './exact-rows.js';
import { sqliteBindable } from './bindable-value.js';
import type { Kysely } from 'kysely';
import type {
  DialectCapabilities,
  DialectLock,
  DialectLockHolder,
  IntegrityChecks,
  IntegrityFinding,
  LockAcquireOptions,
  RunnableConnection,
  ScratchConnection,
  ScriptStatement,
} from '../dialect/dialect.js';
import { type LockHolder, RunLock, describeHolder } from '../lock/run-lock.js';
import { isCurrentProcess } from '../lock/process-identity.js';
import type { DatabaseAdapter, ForeignKeyViolation, JournalMode, PreparedStatement } from './database-adapter.js';
import { DEFAULT_STATEMENT_CACHE_SIZE, StatementCache } from './statement-cache.js';
import { SqliteAdapter } from './sqlite-adapter.js';
import { type SqliteIntrospector } from './sqlite-introspector.js';
import { SqliteDialectHistory } from './sqlite-dialect-history.js';
import { SqliteDialectMetrics } from './sqlite-dialect-metrics.js';
import { SqliteStepGuard } from './sqlite-step-guard.js';
import { stripSqlComments } from './sql-splitter.js';
import { type OpenDatabaseOptions, openDatabase, openDatabaseFile } from './open-database.js';
import { ScratchDirectory } from '../files/scratch-directory.js';
import { MfmigError } from '../errors/index.js';
import { stagedReadOf } from './insert-select.js';
import { type ReadSnapshotOptions, reconcileCopy, takeReadSnapshot, underReadLock } from './read-snapshot.js';
import { SqliteBackupHooks } from './sqlite-backup-hooks.js';
import { sqliteSchemaCopy } from './sqlite-schema-copy.js';
import { HISTORY_TABLE } from '../history/history-store.js';
import { type WriteTurnOptions, inWriteTurn } from './write-turn.js';

/** How many `integrity_check` lines are read before the rest are summed up. */
const INTEGRITY_LINES = 20;

/** The first code of an error, or of what it wraps: better-sqlite3's `SQLITE_*` codes. */
function sqliteCodeOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' && e.code.startsWith('SQLITE_') ? e.code : e?.cause?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Opens a SQLite database on the async dialect boundary, as `openPostgres` opens a server's: a
 * path (`:memory:` for an empty in-memory database) with {@link openDatabase}'s options.
 *
 * @example
 * const conn = await openSqlite('./kb.db', { mode: 'readonly' });
 * (await conn.history.list()).length;
 */
export async function openSqlite(target: string, options: OpenDatabaseOptions = {}): Promise<SqliteConnection> {
  return new SqliteConnection(openDatabase(target, options));
}

/**
 * Opens an existing SQLite file as it is on the async boundary, with none of {@link openSqlite}'s
 * checks ({@link openDatabaseFile}): for a file mfmig inspects rather than migrates (a backup to
 * describe or verify). Read-only, it writes nothing; SQLite's own errors come through unchanged.
 *
 * @example
 * const copy = await openSqliteFile('./backups/kb.db', { readonly: true });
 * (await copy.history.list()).length;
 */
export async function openSqliteFile(path: string, options: { readonly?: boolean; create?: boolean } = {}): Promise<SqliteConnection> {
  return new SqliteConnection(openDatabaseFile(path, options));
}

/** A private read-only copy of a database at one instant, on its own connection (see {@link SqliteConnection.readSnapshot}). */
export interface SqliteReadSnapshot {
  connection: SqliteConnection;
  /** The copy's file, for child processes to open. */
  path: string;
  /** Closes and deletes the copy. */
  release(): void;
}

/** Options of a {@link SqliteConnection}. */
export interface SqliteConnectionOptions {
  /**
   * How many compiled statements `query` and `execute` keep, by SQL text, so that a statement run
   * again is not compiled again (default 100, the least recently used dropped first; 0 over an
   * adapter that `watchesStatements`, whose watcher must see each run prepared). 0 compiles every
   * statement afresh.
   *
   * @example
   * const conn = new SqliteConnection(adapter, { statementCache: 0 });
   */
  statementCache?: number;
}

/**
 * SQLite's side of the async dialect boundary: a {@link RunnableConnection} over the synchronous
 * {@link DatabaseAdapter}, so that code written against the boundary (the knowledge-base seed,
 * integrity reports, the introspector, the history and metrics, explicit transactions and lock
 * waits) runs on both dialects. It adds no second connection: the adapter's statements,
 * transactions and Kysely instance are the ones used. Parameters are positional `?` (where
 * PostgreSQL writes `$1`); the driver does not bind SQLite's numbered `?NNN`. A lock wait is
 * SQLite's `busy_timeout`; giving up is `SQLITE_BUSY`. `query` and `execute` keep the statements
 * they compile (see {@link SqliteConnectionOptions.statementCache}); `forEachRow` does not.
 *
 * @example
 * const conn = new SqliteConnection(openDatabase('./kb.db'));
 * await conn.transaction(() => conn.execute('UPDATE kb_entries SET usage_count = usage_count + 1 WHERE id = ?', [7]));
 * (await conn.integrity.run()).length; // 0 for a sound file
 */
export class SqliteConnection implements RunnableConnection {
  readonly dialect = 'sqlite' as const;
  readonly capabilities: DialectCapabilities;
  readonly introspector: SqliteIntrospector;
  readonly integrity: IntegrityChecks;
  readonly lock: DialectLock;
  readonly history: SqliteDialectHistory;
  readonly metrics: SqliteDialectMetrics;
  readonly stepGuard: SqliteStepGuard;
  readonly backup: SqliteBackupHooks;
  #savepoints = 0;
  /** The `busy_timeout` (ms) the connection had before the first change, the session's bound, and whether a transaction has its own. */
  #initialBusyTimeout: number | undefined;
  #sessionBusyTimeout: number | undefined;
  #transactionBusyTimeout = false;
  readonly #statements: StatementCache;
  readonly #compile = (sql: string): PreparedStatement => this.adapter.prepare(sql);

  constructor(
    readonly adapter: DatabaseAdapter,
    options: SqliteConnectionOptions = {},
  ) {
    this.#statements = new StatementCache(options.statementCache ?? (adapter.watchesStatements ? 0 : DEFAULT_STATEMENT_CACHE_SIZE));
    this.capabilities = adapter.capabilities;
    this.introspector = adapter.introspector;
    this.integrity = { run: async () => sqliteIntegrityFindings(adapter) };
    this.lock = new SqliteDialectLock(adapter);
    this.history = new SqliteDialectHistory(adapter);
    this.metrics = new SqliteDialectMetrics(adapter);
    this.stepGuard = new SqliteStepGuard(adapter);
    this.backup = new SqliteBackupHooks(adapter);
  }

  get target(): string {
    return this.adapter.filePath;
  }

  get kysely(): Kysely<any> {
    return this.adapter.kysely;
  }

  get inTransaction(): boolean {
    return this.adapter.inTransaction;
  }

  /** True when the connection was opened read-only (`openSqlite(path, { readonly: true })`). */
  get isReadonly(): boolean {
    return this.adapter.isReadonly;
  }

  /** False once the connection was closed (by its owner, or before a restore replaced the file). */
  get isOpen(): boolean {
    return this.adapter.isOpen;
  }

  /** True for an in-memory database (no file: nothing to copy, snapshot or open in another process). */
  get isMemory(): boolean {
    return this.adapter.isMemory;
  }

  /**
   * Calls `onRow` for each row of one statement as SQLite reads it, so that a statement with many
   * rows (a foreign key check of a large table) is counted without being held in memory; returns
   * the number of rows. Parameters as {@link query}, or one object of named parameters.
   *
   * @example
   * const orphans = await conn.forEachRow('PRAGMA foreign_key_check(kb_tags)', [], (row) => sample.length < 20 && sample.push(row));
   */
  async forEachRow(sql: string, params: readonly unknown[], onRow: (row: Record<string, unknown>) => void): Promise<number> {
    let rows = 0;
    for (const row of this.adapter.prepare(sql).iterate(...bindNumbered(sql, params.map(sqliteBindable))) as Iterable<Record<string, unknown>>) {
      rows++;
      onRow(row);
    }
    return rows;
  }

  /**
   * A consistent private copy of the file to read instead of the live one, on its own connection
   * (see {@link takeReadSnapshot}: whole-file reads of a large rollback-journal database would
   * stop the application's commits), or null when the live file should be read directly.
   * `release()` closes and deletes the copy.
   *
   * @example
   * const snapshot = await conn.readSnapshot({ minBytes: 64 * 1024 * 1024 });
   * const source = snapshot?.connection ?? conn;
   */
  async readSnapshot(options: ReadSnapshotOptions = {}): Promise<SqliteReadSnapshot | null> {
    const snapshot = takeReadSnapshot(this.adapter, options);
    return snapshot && { connection: new SqliteConnection(snapshot.adapter), path: snapshot.path, release: () => snapshot.release() };
  }

  /**
   * SQLite's own check of the file, at most `limit` messages; empty for a sound file. `quick`
   * (`PRAGMA quick_check`: pages, records, NOT NULL) reads the whole file once; `full`
   * (`integrity_check`) also compares every index with its table.
   *
   * @example
   * (await conn.checkIntegrity('quick', 5)).length; // 0
   */
  async checkIntegrity(level: 'quick' | 'full', limit: number): Promise<string[]> {
    return this.adapter.checkIntegrity(level, limit);
  }

  /**
   * A stamp that changes when this connection writes (`total_changes()`) or any connection
   * changes the schema (`schema_version`), and not when another connection only writes rows: a
   * check that passed under one stamp need not be repeated under it.
   */
  async changeStamp(): Promise<string> {
    return this.adapter.changeStamp();
  }

  async journalMode(): Promise<JournalMode> {
    return this.adapter.journalMode();
  }

  /** Whether this connection enforces foreign keys (`PRAGMA foreign_keys`) now. */
  async foreignKeysEnabled(): Promise<boolean> {
    return this.adapter.foreignKeysEnabled();
  }

  /**
   * Switches foreign key enforcement (`PRAGMA foreign_keys`) for this connection. SQLite ignores
   * the switch inside a transaction, so it is refused there: a table rebuild switches it off
   * before its transaction and back on after.
   *
   * @example
   * await conn.setForeignKeys(false);
   */
  async setForeignKeys(on: boolean): Promise<void> {
    if (this.adapter.inTransaction) {
      throw new MfmigError('USAGE', `Foreign keys cannot be switched ${on ? 'on' : 'off'} inside a transaction: SQLite ignores the switch there`);
    }
    this.adapter.setForeignKeys(on);
  }

  /** Switches the journal mode (persistent for WAL); returns the mode the database is in afterwards, which SQLite may have refused to change. */
  async setJournalMode(mode: JournalMode): Promise<JournalMode> {
    return this.adapter.setJournalMode(mode);
  }

  /**
   * A copy of this database's schema with none of its data, on a connection of its own (in memory,
   * or the new file `path`): the user tables, indexes, views and triggers, and the rows of the
   * `runState` tables (default: the history), with an online rebuild a killed run left dropped.
   * What a plan runs its dry runs and samples on. `close()` frees it.
   *
   * @example
   * const copy = await conn.schemaCopy({ runState: ['mfmig_history', 'mfmig_transform_cursors'] });
   */
  async schemaCopy(options: { path?: string; runState?: readonly string[] } = {}): Promise<SqliteConnection> {
    return new SqliteConnection(sqliteSchemaCopy(this.adapter, options.path ?? ':memory:', options.runState ?? [HISTORY_TABLE]));
  }

  /**
   * A copy of the whole database in memory, on its own connection, to change without touching
   * the file (a dry run that first adopts another tool's history). `close()` frees it.
   *
   * @example
   * const copy = await conn.memoryCopy();
   * await copy.execute('DELETE FROM kb_tags'); // the file still has its tags
   */
  async memoryCopy(): Promise<SqliteConnection> {
    return new SqliteConnection(new SqliteAdapter(this.adapter.memoryCopy(), { ownsConnection: true }));
  }

  // async, so that a statement's error rejects the promise rather than throwing at the call, as on PostgreSQL.
  // Parameters are `?` or, as on PostgreSQL, `$1`, `$2`, ...; booleans bind as 1 and 0.
  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    // integers beyond 2^53 come back exact, as bigints (PostgreSQL's driver gives them as text)
    return allExact<Row>(this.#statement(sql), bindNumbered(sql, params.map(sqliteBindable)));
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.#statement(sql).run(...bindNumbered(sql, params.map(sqliteBindable))).changes;
  }

  /** The compiled statement of `sql`, kept while the database is open; once it is closed, none is handed out (compiling fails as it always did). */
  #statement(sql: string): PreparedStatement {
    if (this.adapter.isOpen) return this.#statements.statement(sql, this.#compile);
    this.#statements.clear();
    return this.adapter.prepare(sql);
  }

  async hasTable(name: string): Promise<boolean> {
    return this.adapter.tableExists(name);
  }

  async splitStatements(sql: string): Promise<string[]> {
    return this.adapter.splitStatements(sql);
  }

  async executeScript(sql: string): Promise<void> {
    this.adapter.exec(sql);
  }

  /** Begins an IMMEDIATE transaction: other writers wait for it (up to their `busy_timeout`). */
  async begin(): Promise<void> {
    this.adapter.beginImmediate();
  }

  async commit(): Promise<void> {
    this.adapter.commit();
    this.#endTransaction();
  }

  async rollback(): Promise<void> {
    if (this.adapter.inTransaction) this.adapter.rollback();
    this.#endTransaction();
  }

  /**
   * The statements of a script, split as SQLite's shell splits them, each with its 1-based line.
   * `VACUUM` is the one statement SQLite refuses in a transaction; its parser says nothing of
   * whether a statement keeps data (`keepsData` is left unset).
   */
  async analyzeScript(sql: string): Promise<ScriptStatement[]> {
    const out: ScriptStatement[] = [];
    let from = 0;
    for (const statement of this.adapter.splitStatements(sql)) {
      const at = sql.indexOf(statement, from);
      const code = stripSqlComments(statement).trim();
      const start = at < 0 ? from : at + statement.indexOf(code.slice(0, 1) || statement);
      if (at >= 0) from = at + statement.length;
      out.push({
        sql: statement,
        line: sql.slice(0, Math.max(0, start)).split('\n').length,
        ...(/^vacuum\b/i.test(code) ? { nonTransactional: 'VACUUM cannot run inside a transaction' } : {}),
      });
    }
    return out;
  }

  /**
   * Bounds how long a statement waits for another connection's lock (`busy_timeout`), for the
   * session or until the transaction ends; `null` goes back to the session's value (for a
   * transaction) or to the value the connection had (for the session). As `SET LOCAL` outside a
   * transaction block, a transaction bound outside a transaction does nothing.
   */
  async setLockTimeout(ms: number | null, scope: 'transaction' | 'session'): Promise<void> {
    this.#initialBusyTimeout ??= Number(this.adapter.value('PRAGMA busy_timeout') ?? 0);
    this.#sessionBusyTimeout ??= this.#initialBusyTimeout;
    if (scope === 'transaction') {
      if (!this.adapter.inTransaction) return;
      this.#transactionBusyTimeout = ms !== null;
      this.#setBusyTimeout(ms ?? this.#sessionBusyTimeout);
      return;
    }
    this.#sessionBusyTimeout = ms ?? this.#initialBusyTimeout;
    if (!this.#transactionBusyTimeout) this.#setBusyTimeout(this.#sessionBusyTimeout);
  }

  /** True when a statement gave up waiting for another connection's lock (`SQLITE_BUSY`, `SQLITE_LOCKED`). */
  isLockTimeout(error: unknown): boolean {
    const code = sqliteCodeOf(error);
    return (code.startsWith('SQLITE_BUSY') && code !== 'SQLITE_BUSY_SNAPSHOT') || code.startsWith('SQLITE_LOCKED');
  }

  /** True for `SQLITE_BUSY_SNAPSHOT`: a WAL reader tried to write after another connection did; the transaction passes on a second try. */
  isTransientConflict(error: unknown): boolean {
    return sqliteCodeOf(error) === 'SQLITE_BUSY_SNAPSHOT';
  }

  #setBusyTimeout(ms: number): void {
    this.adapter.all(`PRAGMA busy_timeout = ${Math.max(0, Math.round(ms))}`);
  }

  #endTransaction(): void {
    if (!this.#transactionBusyTimeout) return;
    this.#transactionBusyTimeout = false;
    if (this.#sessionBusyTimeout !== undefined) this.#setBusyTimeout(this.#sessionBusyTimeout);
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (other writers wait for it, as they do for a run's
   * steps); inside a transaction already, in a savepoint of it, so that `fn` is still all or
   * nothing.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.adapter.inTransaction) {
      this.adapter.beginImmediate();
      try {
        const result = await fn();
        await this.commit();
        return result;
      } catch (error) {
        await this.rollback();
        throw error;
      }
    }
    const name = `mfmig_connection_${++this.#savepoints}`;
    this.adapter.run(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      this.adapter.run(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (this.adapter.inTransaction) {
        this.adapter.run(`ROLLBACK TO ${name}`);
        this.adapter.run(`RELEASE ${name}`);
      }
      throw error;
    } finally {
      this.#savepoints--;
    }
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction, taking the write lock within about a millisecond of
   * the application's commit (see {@link inWriteTurn}: polling, where SQLite's busy handler backs
   * off to 100 ms sleeps), so that a batch moved between the application's short transactions
   * does not crawl. Outside a transaction only; `timeoutMs` defaults to the `busy_timeout`.
   *
   * @example
   * await conn.writeTurn(async () => conn.execute('INSERT INTO moved SELECT * FROM temp.mfmig_stage'));
   */
  async writeTurn<T>(fn: () => Promise<T>, options: WriteTurnOptions = {}): Promise<T> {
    return inWriteTurn(this.adapter, fn, options);
  }

  /**
   * Closes the adapter (a connection the adapter was handed by its user stays open, as the adapter
   * decides, unless `evenIfShared`: a restore is about to replace the file under it).
   */
  async close(options: { evenIfShared?: boolean } = {}): Promise<void> {
    this.#statements.clear();
    this.adapter.close(options);
  }

  /**
   * The rows `PRAGMA foreign_key_check` reports, of one table or of the whole database: one per
   * child row whose parent is missing.
   *
   * @example
   * (await conn.foreignKeyCheck())[0]; // { table: 'kb_tags', rowid: 7, parent: 'kb_entries', fkid: 0 }
   */
  async foreignKeyCheck(table?: string): Promise<ForeignKeyViolation[]> {
    return this.adapter.foreignKeyCheck(table);
  }

  /**
   * How many rows {@link foreignKeyCheck} would report, counted as SQLite reads them (none held):
   * a write that must not add orphans compares the count before and after.
   *
   * @example
   * const before = await conn.foreignKeyViolationCount('kb_tags');
   */
  async foreignKeyViolationCount(table?: string): Promise<number> {
    return this.forEachRow(foreignKeyCheckSql(table), [], () => {});
  }

  /** An empty in-memory database to rehearse migrations in; nothing of it reaches the file. */
  async openScratch(): Promise<ScratchConnection> {
    const scratch = openDatabase(':memory:');
    return { connection: new SqliteConnection(scratch), dispose: async () => scratch.close() };
  }

  /**
   * A consistent copy of the whole database in a private temp folder (see {@link copyDatabaseInto}:
   * the application's writes wait at most while the copy is compared with the live file), for a
   * rehearsal that cannot run in one transaction of the live file; `dispose` removes it.
   */
  async openCopy(): Promise<ScratchConnection> {
    const folder = ScratchDirectory.create();
    try {
      const path = copyDatabaseInto(this.adapter, folder);
      const copy = openDatabaseFile(path);
      // a scratch file: what survives a power cut does not matter
      copy.run('PRAGMA synchronous = OFF');
      return {
        connection: new SqliteConnection(copy),
        dispose: async () => {
          copy.close();
          folder.dispose();
        },
      };
    } catch (error) {
      folder.dispose();
      throw error;
    }
  }
}

/**
 * A consistent copy of the adapter's database, as a new file in `folder`. With a rollback journal,
 * where a reader stops every commit of the application while it reads, the file is copied with no
 * lock and made one consistent snapshot under a short read lock ({@link reconcileCopy}): the
 * application waits while the two files are compared, not while the database is rebuilt. In WAL
 * (readers never block writers), in memory, or inside a transaction, `VACUUM INTO` makes the copy.
 *
 * @example
 * const path = copyDatabaseInto(adapter, ScratchDirectory.create()); // a file to open and change
 */
export function copyDatabaseInto(adapter: DatabaseAdapter, folder: ScratchDirectory): string {
  const file = adapter.filePath;
  if (file && !adapter.isMemory && !adapter.inTransaction && stagedReadOf(adapter.journalMode()) === 'copies') {
    const path = folder.copyFile(file, 'copy', '.db');
    underReadLock(adapter, () => reconcileCopy(file, path));
    return path;
  }
  const path = folder.createFile('copy', '.db');
  adapter.prepare('VACUUM INTO ?').run(path);
  return path;
}

/**
 * SQLite's integrity checks as boundary findings: `integrity_check` (storage and indexes,
 * `CORRUPTION`) and `foreign_key_check` (`FOREIGN_KEY_ORPHANS`, one finding per child and parent
 * table, the code PostgreSQL's orphan scan uses).
 *
 * @example
 * sqliteIntegrityFindings(adapter); // [{ code: 'FOREIGN_KEY_ORPHANS', severity: 'error', object: 'kb_tags', ... }]
 */
export function sqliteIntegrityFindings(adapter: DatabaseAdapter): IntegrityFinding[] {
  const findings: IntegrityFinding[] = adapter.checkIntegrity('full', INTEGRITY_LINES).map((line) => ({
    code: 'CORRUPTION',
    severity: 'error',
    object: adapter.filePath,
    message: `integrity_check: ${line}`,
  }));
  const orphans = new Map<string, { table: string; parent: string; rows: number }>();
  for (const v of adapter.foreignKeyCheck()) {
    const key = `${v.table}\u0000${v.parent}`;
    const entry = orphans.get(key) ?? { table: v.table, parent: v.parent, rows: 0 };
    entry.rows++;
    orphans.set(key, entry);
  }
  for (const { table, parent, rows } of orphans.values()) {
    findings.push({
      code: 'FOREIGN_KEY_ORPHANS',
      severity: 'error',
      object: table,
      message: `${rows.toLocaleString('en-US')} row(s) of ${table} reference ${parent} rows that do not exist`,
    });
  }
  return findings;
}

/** The `mfmig_lock` row as a {@link DialectLock} (SQLite has no advisory locks: the row alone guards a run). */
class SqliteDialectLock implements DialectLock {
  readonly #lock: RunLock;

  constructor(adapter: DatabaseAdapter) {
    this.#lock = new RunLock(adapter);
  }

  async acquire(options: LockAcquireOptions): Promise<void> {
    await this.#lock.acquire({
      timeoutMs: options.timeoutMs,
      command: options.command,
      onWait: options.onWait && ((holder) => options.onWait!(holderOf(holder, this.#lock.isStale(holder)))),
      onTakeover:
        options.onTakeover &&
        ((takeover) => options.onTakeover!({ holder: holderOf(takeover.holder, true), reason: takeover.reason, detail: takeover.detail })),
    });
  }

  async release(): Promise<void> {
    this.#lock.release();
  }

  get held(): boolean {
    return this.#lock.held;
  }

  async holder(): Promise<DialectLockHolder | null> {
    const holder = this.#lock.holder();
    return holder ? holderOf(holder, this.#lock.isStale(holder)) : null;
  }
}

function holderOf(holder: LockHolder, stale: boolean): DialectLockHolder {
  return {
    pid: holder.pid,
    host: holder.host,
    command: holder.command,
    since: holder.acquiredAt,
    stale,
    heldHere: isCurrentProcess(holder),
    description: describeHolder(holder),
  };
}
