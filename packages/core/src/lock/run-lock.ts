import { randomUUID } from 'node:crypto';
import type { DatabaseAdapter } from '../adapter/index.js';
import { MfmigError, classifySqliteError, isMfmigError } from '../errors/index.js';
import { currentHost, isProcessAlive, processStartTime } from './process-identity.js';

/** Who holds the run lock. */
export interface LockHolder {
  owner: string;
  pid: number;
  host: string;
  processStart: string | null;
  acquiredAt: string;
  heartbeatAt: string;
  command: string;
}

/** Options of {@link RunLock}. */
export interface RunLockOptions {
  /** A holder on another host whose heartbeat is older than this is stale. Default 60 s. */
  staleAfterMs?: number;
  /** How often the holder refreshes its heartbeat. Default 5 s. */
  heartbeatMs?: number;
}

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS mfmig_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  process_start TEXT,
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  command TEXT NOT NULL
)`;

/**
 * One mfmig runner at a time per database, across processes. The lock is a row in
 * `mfmig_lock` written in an IMMEDIATE transaction; a holder whose process died (same host) or
 * whose heartbeat stopped (other host) is stale and is taken over.
 *
 * @example
 * const lock = new RunLock(adapter);
 * await lock.acquire({ timeoutMs: 10_000, command: 'migrate' });
 * try { ... } finally { lock.release(); }
 */
export class RunLock {
  readonly #adapter: DatabaseAdapter;
  readonly #staleAfterMs: number;
  readonly #heartbeatMs: number;
  #owner: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(adapter: DatabaseAdapter, options: RunLockOptions = {}) {
    this.#adapter = adapter;
    this.#staleAfterMs = options.staleAfterMs ?? 60_000;
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
  }

  get held(): boolean {
    return this.#owner !== undefined;
  }

  /** The current holder, if any (stale or not). */
  holder(): LockHolder | undefined {
    if (!this.#adapter.tableExists('mfmig_lock')) return undefined;
    const row = this.#adapter.get<Record<string, unknown>>('SELECT * FROM mfmig_lock WHERE id = 1');
    return row ? toHolder(row) : undefined;
  }

  /** True when the holder's process is gone or its heartbeat stopped. */
  isStale(holder: LockHolder): boolean {
    if (holder.host === currentHost()) return !isProcessAlive(holder.pid, holder.processStart);
    return Date.now() - Date.parse(holder.heartbeatAt) > this.#staleAfterMs;
  }

  /**
   * Takes the lock, waiting up to `timeoutMs` for a live holder to finish. Throws `LOCK_HELD`
   * naming the holder when it does not.
   */
  async acquire(options: { timeoutMs: number; command: string; onWait?: (holder: LockHolder) => void }): Promise<void> {
    if (this.#owner) return;
    const deadline = Date.now() + options.timeoutMs;
    let told = false;
    for (;;) {
      const holder = this.#tryAcquire(options.command);
      if (holder === null) break;
      if (Date.now() >= deadline) {
        throw new MfmigError('LOCK_HELD', `Another mfmig run holds the lock: ${describeHolder(holder)}; wait for it to finish or retry later`, {
          context: { holder },
        });
      }
      if (!told) {
        options.onWait?.(holder);
        told = true;
      }
      await sleep(Math.min(100, Math.max(10, deadline - Date.now())));
    }
    this.#timer = setInterval(() => this.#heartbeat(), this.#heartbeatMs);
    this.#timer.unref();
  }

  /** Releases the lock if this instance holds it. */
  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const owner = this.#owner;
    this.#owner = undefined;
    if (!owner || !this.#adapter.raw.open) return;
    try {
      if (this.#adapter.inTransaction) this.#adapter.rollback();
      this.#adapter.run('DELETE FROM mfmig_lock WHERE owner = ?', [owner]);
    } catch {
      // a lock we cannot delete is found stale by the next runner, since this process ends
    }
  }

  /** Returns null when the lock was taken, else the live holder. */
  #tryAcquire(command: string): LockHolder | null {
    try {
      return this.#adapter.transaction(() => {
        this.#adapter.raw.exec(CREATE_SQL);
        const current = this.holder();
        if (current && !this.isStale(current)) return current;
        const now = new Date().toISOString();
        const owner = randomUUID();
        this.#adapter.run(
          `INSERT OR REPLACE INTO mfmig_lock (id, owner, pid, host, process_start, acquired_at, heartbeat_at, command)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
          [owner, process.pid, currentHost(), processStartTime(process.pid), now, now, command],
        );
        this.#owner = owner;
        return null;
      });
    } catch (error) {
      if (isMfmigError(error)) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        return { owner: '?', pid: 0, host: '?', processStart: null, acquiredAt: '', heartbeatAt: '', command: 'a write transaction' };
      }
      const kind = classifySqliteError(error);
      throw new MfmigError(kind ?? 'INTERNAL', `Cannot take the run lock: ${(error as Error).message}`, { cause: error });
    }
  }

  #heartbeat(): void {
    if (!this.#owner || this.#adapter.inTransaction || !this.#adapter.raw.open) return;
    try {
      this.#adapter.run('UPDATE mfmig_lock SET heartbeat_at = ? WHERE owner = ?', [new Date().toISOString(), this.#owner]);
    } catch {
      // a busy database skips one heartbeat; the next one follows
    }
  }
}

/** "pid 42 on host a, running migrate since 2026-..." */
export function describeHolder(holder: LockHolder): string {
  if (holder.pid === 0) return 'another connection is in a write transaction';
  return `pid ${holder.pid} on host ${holder.host}, running "${holder.command}" since ${holder.acquiredAt}`;
}

function toHolder(row: Record<string, unknown>): LockHolder {
  return {
    owner: String(row.owner),
    pid: Number(row.pid),
    host: String(row.host),
    processStart: row.process_start == null ? null : String(row.process_start),
    acquiredAt: String(row.acquired_at),
    heartbeatAt: String(row.heartbeat_at),
    command: String(row.command),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
