import type { Kysely } from 'kysely';
import type {
  DialectCapabilities,
  DialectConnection,
  DialectLock,
  DialectLockHolder,
  IntegrityChecks,
  IntegrityFinding,
  LockAcquireOptions,
} from '../dialect/dialect.js';
import { type LockHolder, RunLock } from '../lock/run-lock.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { type SqliteIntrospector } from './sqlite-introspector.js';

/** How many `integrity_check` lines are read before the rest are summed up. */
const INTEGRITY_LINES = 20;

/**
 * SQLite's side of the async dialect boundary: a {@link DialectConnection} over the synchronous
 * {@link DatabaseAdapter}, so that code written against the boundary (the knowledge-base seed,
 * integrity reports, the introspector) runs on both dialects. It adds no second connection: the
 * adapter's statements, transactions and Kysely instance are the ones used. Parameters are
 * positional `?` (where PostgreSQL writes `$1`); the driver does not bind SQLite's numbered `?NNN`.
 *
 * @example
 * const conn = new SqliteConnection(openDatabase('./kb.db'));
 * await conn.transaction(() => conn.execute('UPDATE kb_entries SET usage_count = usage_count + 1 WHERE id = ?', [7]));
 * (await conn.integrity.run()).length; // 0 for a sound file
 */
export class SqliteConnection implements DialectConnection {
  readonly dialect = 'sqlite' as const;
  readonly capabilities: DialectCapabilities;
  readonly introspector: SqliteIntrospector;
  readonly integrity: IntegrityChecks;
  readonly lock: DialectLock;
  #savepoints = 0;

  constructor(readonly adapter: DatabaseAdapter) {
    this.capabilities = adapter.capabilities;
    this.introspector = adapter.introspector;
    this.integrity = { run: () => Promise.resolve(sqliteIntegrityFindings(adapter)) };
    this.lock = new SqliteDialectLock(adapter);
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

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return Promise.resolve(this.adapter.all<Row>(sql, [...params]));
  }

  execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    return Promise.resolve(this.adapter.run(sql, [...params]).changes);
  }

  splitStatements(sql: string): Promise<string[]> {
    return Promise.resolve(this.adapter.splitStatements(sql));
  }

  executeScript(sql: string): Promise<void> {
    this.adapter.exec(sql);
    return Promise.resolve();
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
        this.adapter.commit();
        return result;
      } catch (error) {
        if (this.adapter.inTransaction) this.adapter.rollback();
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

  /** Closes the adapter (a connection the adapter was handed by its user stays open, as the adapter decides). */
  close(): Promise<void> {
    this.adapter.close();
    return Promise.resolve();
  }
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
      onWait: options.onWait && ((holder) => options.onWait!(holderOf(holder))),
      onTakeover:
        options.onTakeover && ((takeover) => options.onTakeover!({ holder: holderOf(takeover.holder), reason: `${takeover.reason}: ${takeover.detail}` })),
    });
  }

  release(): Promise<void> {
    this.#lock.release();
    return Promise.resolve();
  }

  holder(): Promise<DialectLockHolder | null> {
    const holder = this.#lock.holder();
    return Promise.resolve(holder ? holderOf(holder) : null);
  }
}

function holderOf(holder: LockHolder): DialectLockHolder {
  return { pid: holder.pid, host: holder.host, command: holder.command, since: holder.acquiredAt };
}
