import { randomUUID } from 'node:crypto';
import type { DatabaseAdapter } from '../adapter/index.js';
import { MfmigError, classifySqliteError, isMfmigError } from '../errors/index.js';
import { type HolderVerdict, judgeHolder } from './holder-verdict.js';
import { type ProcessIdentity, currentProcessIdentity, sharesPidSpace } from './process-identity.js';

/** Who holds the run lock. `bootId` and `pidNamespace` are null in rows of older mfmig versions. */
export interface LockHolder extends ProcessIdentity {
  owner: string;
  acquiredAt: string;
  heartbeatAt: string;
  command: string;
}

/** A stale or invalid holder whose lock {@link RunLock.acquire} took over. */
export interface LockTakeover {
  holder: LockHolder;
  reason: 'stale' | 'invalid';
  /** Why, e.g. `process 4242 on this host is gone` or `pid 0 is not a process id`. */
  detail: string;
}

/** Options of {@link RunLock}. */
export interface RunLockOptions {
  /**
   * A holder whose pid cannot be checked from here (another host, boot or pid namespace) is
   * stale when its heartbeat is older than this. Default 60 s.
   */
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
  command TEXT NOT NULL,
  boot_id TEXT,
  pid_namespace TEXT
)`;

/** Columns added after the first release; older tables get them on the next acquire. */
const ADDED_COLUMNS = ['boot_id', 'pid_namespace'] as const;

/**
 * One mfmig runner at a time per database, across processes. The lock is a row in
 * `mfmig_lock` written in an IMMEDIATE transaction, naming its holder by host, pid, process
 * start time, boot id and pid namespace. A holder whose process died (checked only on the same
 * host, boot and pid namespace) or whose heartbeat stopped (anywhere else) is stale, a row no
 * live run can have written is invalid (see {@link judgeHolder}); both are taken over.
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

  /** True when the holder's process is gone, its heartbeat stopped, or its row is invalid. */
  isStale(holder: LockHolder): boolean {
    return this.judge(holder).state !== 'live';
  }

  /** Whether the holder is live, stale or invalid, and why. */
  judge(holder: LockHolder): HolderVerdict {
    return judgeHolder(holder, this.#staleAfterMs);
  }

  /**
   * Takes the lock, waiting up to `timeoutMs` for a live holder to finish. Throws `LOCK_HELD`
   * naming the holder when it does not. `onTakeover` hears of a stale or invalid holder
   * replaced (an invalid one deserves a warning: something wrote a row no run can have written).
   */
  async acquire(options: {
    timeoutMs: number;
    command: string;
    onWait?: (holder: LockHolder) => void;
    onTakeover?: (takeover: LockTakeover) => void;
  }): Promise<void> {
    if (this.#owner) return;
    const deadline = Date.now() + options.timeoutMs;
    let told = false;
    let takeover: LockTakeover | null;
    for (;;) {
      const attempt = this.#tryAcquire(options.command);
      if ('taken' in attempt) {
        takeover = attempt.taken;
        break;
      }
      const holder = attempt.holder;
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
    if (takeover) options.onTakeover?.(takeover);
  }

  /** Releases the lock if this instance holds it. */
  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const owner = this.#owner;
    this.#owner = undefined;
    if (!owner || !this.#adapter.isOpen) return;
    try {
      if (this.#adapter.inTransaction) this.#adapter.rollback();
      this.#adapter.run('DELETE FROM mfmig_lock WHERE owner = ?', [owner]);
    } catch {
      // a lock we cannot delete is found stale by the next runner, since this process ends
    }
  }

  /** The lock taken (and the holder it replaced, if any), or the live holder. */
  #tryAcquire(command: string): { taken: LockTakeover | null } | { holder: LockHolder } {
    try {
      return this.#adapter.transaction(() => {
        this.#adapter.runScript(CREATE_SQL);
        this.#addMissingColumns();
        const current = this.holder();
        const verdict = current ? this.judge(current) : undefined;
        if (current && verdict?.state === 'live') return { holder: current };
        const now = new Date().toISOString();
        const owner = randomUUID();
        const me = currentProcessIdentity();
        this.#adapter.run(
          `INSERT OR REPLACE INTO mfmig_lock (id, owner, pid, host, process_start, boot_id, pid_namespace, acquired_at, heartbeat_at, command)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [owner, me.pid, me.host, me.processStart, me.bootId, me.pidNamespace, now, now, command],
        );
        this.#owner = owner;
        return { taken: current && verdict && verdict.state !== 'live' ? { holder: current, reason: verdict.state, detail: verdict.detail } : null };
      });
    } catch (error) {
      if (isMfmigError(error)) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        return {
          holder: {
            owner: '?',
            pid: 0,
            host: '?',
            processStart: null,
            bootId: null,
            pidNamespace: null,
            acquiredAt: '',
            heartbeatAt: '',
            command: 'a write transaction',
          },
        };
      }
      const kind = classifySqliteError(error);
      throw new MfmigError(kind ?? 'INTERNAL', `Cannot take the run lock: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Adds the identity columns to a table made by an older mfmig (inside the acquire transaction). */
  #addMissingColumns(): void {
    const present = new Set(this.#adapter.columnNames('mfmig_lock'));
    for (const column of ADDED_COLUMNS) if (!present.has(column)) this.#adapter.runScript(`ALTER TABLE mfmig_lock ADD COLUMN ${column} TEXT`);
  }

  #heartbeat(): void {
    if (!this.#owner || this.#adapter.inTransaction || !this.#adapter.isOpen) return;
    try {
      this.#adapter.run('UPDATE mfmig_lock SET heartbeat_at = ? WHERE owner = ?', [new Date().toISOString(), this.#owner]);
    } catch {
      // a busy database skips one heartbeat; the next one follows
    }
  }
}

/** "pid 42 on host a, running migrate since 2026-..." */
export function describeHolder(holder: LockHolder): string {
  if (holder.pid === 0 && holder.owner === '?') return 'another connection is in a write transaction';
  const recorded = holder.bootId !== null || holder.pidNamespace !== null;
  const elsewhere = recorded && holder.host === currentProcessIdentity().host && !sharesPidSpace(holder) ? ' (another container or boot)' : '';
  return holderWords({ pid: holder.pid, host: `${holder.host}${elsewhere}`, command: holder.command, since: holder.acquiredAt });
}

/** A lock holder in the words every dialect's messages use: `pid 42 on host a, running "migrate" since ...`. */
export function holderWords(holder: { pid: number; host: string; command: string; since: string }): string {
  return `pid ${holder.pid} on host ${holder.host}, running "${holder.command}" since ${holder.since}`;
}

function toHolder(row: Record<string, unknown>): LockHolder {
  return {
    owner: String(row.owner),
    pid: Number(row.pid),
    host: String(row.host),
    processStart: row.process_start == null ? null : String(row.process_start),
    bootId: row.boot_id == null ? null : String(row.boot_id),
    pidNamespace: row.pid_namespace == null ? null : String(row.pid_namespace),
    acquiredAt: String(row.acquired_at),
    heartbeatAt: String(row.heartbeat_at),
    command: String(row.command),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
