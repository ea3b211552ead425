import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { PgSession } from './pg-session.js';
import { quoteIdentifier } from '../../adapter/quote.js';
import { MfmigError } from '../../errors/index.js';
import { holderWords } from '../../lock/run-lock.js';
import type { DialectLock, LockAcquireOptions, DialectLockHolder } from '../dialect.js';
import { isConcurrentCreate } from './postgres-errors.js';

/** The advisory lock's class id ("mfmg"); the second key is the hash of the schema. */
const ADVISORY_CLASS = 0x6d666d67;
/** How often the holder touches its row, and how old a touch may get before the row counts as abandoned. */
const HEARTBEAT_MS = 5_000;
const STALE_AFTER_SECONDS = 30;
/** The server node a session is connected to: backend pids are only comparable on one node. */
const SERVER_NODE = "coalesce(host(inet_server_addr()), 'socket') || ':' || coalesce(inet_server_port()::text, current_setting('port'))";

interface LockRow {
  pid: number;
  host: string;
  backend_pid: number | null;
  server: string | null;
  command: string;
  acquired_at: Date;
  token: string;
  backend_alive: boolean | null;
  heartbeat_age: number;
}

/**
 * One runner at a time per schema. The lock is a row in `mfmig_lock`, which works on every
 * server that speaks PostgreSQL (CockroachDB and YugabyteDB have no advisory locks); where the
 * server has them, `pg_advisory_lock` is taken first, so that waiting runners queue on the
 * server instead of polling the row. The lock keeps its own session: a killed holder's session
 * ends with it, which frees the advisory lock and marks the row abandoned at once (its backend
 * is gone from `pg_stat_activity`); a row whose heartbeat stopped for 30 s is abandoned too.
 *
 * @example
 * await lock.acquire({ timeoutMs: 10_000, command: 'migrate' });
 * try { ... } finally { await lock.release(); }
 */
export class PostgresLock implements DialectLock {
  readonly #connect: () => Promise<PgSession>;
  readonly #table: string;
  readonly #schema: string;
  readonly #advisory: boolean;
  #client: PgSession | undefined;
  #token: string | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(connect: () => Promise<PgSession>, schema: string, advisory: boolean) {
    this.#connect = connect;
    this.#schema = schema;
    this.#table = `${quoteIdentifier(schema)}.mfmig_lock`;
    this.#advisory = advisory;
  }

  get held(): boolean {
    return this.#token !== undefined;
  }

  async acquire(options: LockAcquireOptions): Promise<void> {
    if (this.#token) return;
    const deadline = Date.now() + options.timeoutMs;
    const client = (this.#client ??= await this.#connect());
    let waitedOn: string | undefined;
    const waitFor = async (holder: DialectLockHolder | null, delay: number) => {
      const key = holder ? `${holder.host}:${holder.pid}` : 'unknown';
      if (holder && waitedOn !== key) options.onWait?.(holder);
      waitedOn = key;
      if (Date.now() + delay > deadline) throw held(holder, options.timeoutMs);
      await sleep(delay);
    };
    if (this.#advisory) {
      for (let attempt = 0; ; attempt++) {
        const row = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [ADVISORY_CLASS, this.#schema])).rows[0];
        if (row?.ok) break;
        await waitFor(await this.holder(), backoff(attempt));
      }
    }
    try {
      await this.#ensureTable(client);
      const token = randomUUID();
      for (let attempt = 0; ; attempt++) {
        const inserted = await client.query(
          `INSERT INTO ${this.#table} (id, pid, host, backend_pid, server, command, token) VALUES (1, $1, $2, pg_backend_pid(), ${SERVER_NODE}, $3, $4) ON CONFLICT (id) DO NOTHING`,
          [process.pid, hostname(), options.command, token],
        );
        if (inserted.rowCount === 1) {
          this.#token = token;
          break;
        }
        const current = await this.#row(client);
        if (current && abandoned(current)) {
          const reason = current.backend_alive === false ? 'its server session has ended' : `its heartbeat stopped ${Math.round(current.heartbeat_age)} s ago`;
          const taken = await client.query(`DELETE FROM ${this.#table} WHERE id = 1 AND token = $1`, [current.token]);
          if (taken.rowCount === 1) options.onTakeover?.({ holder: holderOf(current), reason: 'stale', detail: reason });
          continue;
        }
        await waitFor(current ? holderOf(current) : null, backoff(attempt));
      }
    } catch (error) {
      await this.#unlockAdvisory();
      throw error;
    }
    this.#heartbeat = setInterval(() => {
      client.query(`UPDATE ${this.#table} SET heartbeat_at = now() WHERE id = 1 AND token = $1`, [this.#token]).catch(() => {});
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  async release(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    try {
      if (this.#token) await client.query(`DELETE FROM ${this.#table} WHERE id = 1 AND token = $1`, [this.#token]);
    } finally {
      this.#token = undefined;
      // ending the session frees the advisory lock too
      await client.end().catch(() => {});
    }
  }

  async holder(): Promise<DialectLockHolder | null> {
    const client = (this.#client ??= await this.#connect());
    const row = await this.#row(client);
    return row ? holderOf(row) : null;
  }

  async #row(client: PgSession): Promise<LockRow | undefined> {
    const exists = (await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [this.#table])).rows[0]?.ok;
    if (!exists) return undefined;
    // a backend counts as gone only when the holder used the same server node and pg_stat_activity
    // lists this session itself: engines whose view is empty (CockroachDB) or per node (YugabyteDB)
    // fall back to the heartbeat
    const rows = await client.query<LockRow>(
      `SELECT pid, host, backend_pid, server, command, acquired_at, token,
              CASE WHEN backend_pid IS NULL OR server IS DISTINCT FROM ${SERVER_NODE}
                     OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = pg_backend_pid()) THEN NULL
                   ELSE EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = backend_pid) END AS backend_alive,
              extract(epoch FROM now() - heartbeat_at)::float8 AS heartbeat_age
         FROM ${this.#table} WHERE id = 1`,
    );
    return rows.rows[0];
  }

  async #ensureTable(client: PgSession): Promise<void> {
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.#table} (
          id integer PRIMARY KEY CHECK (id = 1),
          pid integer NOT NULL,
          host text NOT NULL,
          backend_pid integer,
          server text,
          command text NOT NULL,
          token text NOT NULL,
          acquired_at timestamptz NOT NULL DEFAULT now(),
          heartbeat_at timestamptz NOT NULL DEFAULT now()
        )`,
      );
    } catch (error) {
      if (!isConcurrentCreate(error)) throw error;
    }
  }

  async #unlockAdvisory(): Promise<void> {
    if (!this.#advisory || !this.#client) return;
    await this.#client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [ADVISORY_CLASS, this.#schema]).catch(() => {});
  }
}

function holderOf(row: LockRow): DialectLockHolder {
  const since = row.acquired_at.toISOString();
  return {
    pid: row.pid,
    host: row.host,
    command: row.command,
    since,
    stale: abandoned(row),
    heldHere: row.pid === process.pid && row.host === hostname(),
    description: holderWords({ pid: row.pid, host: row.host, command: row.command, since }),
  };
}

/** The holder's server session ended, or its heartbeat stopped. */
function abandoned(row: LockRow): boolean {
  return row.backend_alive === false || row.heartbeat_age > STALE_AFTER_SECONDS;
}

function held(holder: DialectLockHolder | null, timeoutMs: number): MfmigError {
  const who = holder ? `mfmig pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})` : 'another mfmig run';
  return new MfmigError('LOCK_HELD', `${who} holds the migration lock; gave up after ${timeoutMs} ms (raise --lock-timeout to wait longer)`, {
    context: { holder },
  });
}

/** 50 ms, doubling to 1 s, with jitter so that waiting runners do not retry in step. */
function backoff(attempt: number): number {
  return Math.min(1_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
