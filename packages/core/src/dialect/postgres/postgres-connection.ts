import type { Kysely } from 'kysely';
import type { PgSession } from './pg-session.js';
import { MfmigError } from '../../errors/index.js';
import { kyselyModule } from '../../lazy/load-on-use.js';
import { abbreviateSql } from '../../adapter/abbreviate-sql.js';
import { quoteIdentifier } from '../../adapter/quote.js';
import type { DialectCapabilities, RunnableConnection, ScratchConnection, ScriptStatement } from '../dialect.js';
import { loadPg } from './load-driver.js';
import { describePostgresUrl, postgresEndpoint } from './postgres-url.js';
import { PG_STATE, connectionError, isLockTimeout, isTransientConflict, sqlStateOf, wrapPgError } from './postgres-errors.js';
import { PostgresHistory } from './postgres-history.js';
import { PostgresIntegrity } from './postgres-integrity.js';
import { PostgresIntrospector } from './postgres-introspector.js';
import { PostgresLock } from './postgres-lock.js';
import { PostgresMetrics } from './postgres-metrics.js';
import { analyzePostgresSql } from './postgres-statements.js';
import { openScratchSchema } from './postgres-scratch.js';
import { PostgresBackupHooks } from './postgres-backup-hooks.js';

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** The schema mfmig works in: first on the search_path, and home of mfmig's tables. Default: the login's current schema (usually `public`). */
  schema?: string;
  /** Create the schema when it does not exist (runs do; reads leave a database untouched). */
  createSchema?: boolean;
  /** Use `pg_advisory_lock` where the server has it (default true). False guards runs by the lock row alone, as on CockroachDB. */
  advisoryLocks?: boolean;
  /**
   * Whether DDL commits and rolls back with its transaction. Default: read from the server (false
   * on CockroachDB, whose schema changes are background jobs). False runs every migration's
   * statements one by one, as `-- transaction: none` files run.
   */
  transactionalDdl?: boolean;
  /**
   * Whether the server refuses some statements inside a transaction block (`CREATE INDEX
   * CONCURRENTLY`, `VACUUM`), so that a run refuses a transactional file holding one before it
   * runs anything. Default: true, false on CockroachDB (it accepts `CONCURRENTLY` as a no-op).
   * False leaves such a statement to the server's own error.
   */
  nonTransactionalStatements?: boolean;
  /**
   * Whether `LOCK TABLE ... IN SHARE MODE` holds a table still for a data transformation. Default:
   * true; false on CockroachDB (no `LOCK` statement documented), where a transformation goes
   * without and the engine's serializable transactions make a conflicting writer retry instead of
   * wait. Elsewhere a server that refuses the lock fails the migration rather than move data
   * without it.
   */
  tableLocks?: boolean;
}

/**
 * Connects to PostgreSQL (or a server that speaks its protocol) and sets the search_path to the
 * schema mfmig works in. The connection is one session: the runner's transactions, its
 * `lock_timeout` and a migration's Kysely queries all run on it.
 *
 * @example
 * const db = await openPostgres('postgres://app@127.0.0.1:5432/kb', { schema: 'app', createSchema: true });
 * try { await db.query('SELECT 1'); } finally { await db.close(); }
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresConnection> {
  const target = describePostgresUrl(url);
  const { Client } = await loadPg();
  const connect = async (): Promise<PgSession> => {
    const client = new Client({ connectionString: url, application_name: 'mfmig' });
    // a server that goes away mid-run surfaces as the failing query's error; this keeps the process alive until then
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw connectionError(error, target);
    }
    return client;
  };
  const client = await connect();
  try {
    await checkClientWhileRunning(client);
    const schema = await settleSchema(client, options, target);
    const advisory = options.advisoryLocks !== false && (await hasAdvisoryLocks(client));
    const cockroach = await isCockroach(client);
    const capabilities: DialectCapabilities = {
      transactionalDdl: options.transactionalDdl ?? !cockroach,
      nonTransactionalStatements: options.nonTransactionalStatements ?? !cockroach,
      advisoryLocks: advisory,
      queuedLockWaits: true,
      tableLocks: options.tableLocks ?? !cockroach,
    };
    return new PostgresConnection(client, connect, { target: `${target} (schema ${schema})`, schema, capabilities, url });
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

/** CockroachDB says so in `version()`; its schema changes do not roll back with a transaction. */
async function isCockroach(client: PgSession): Promise<boolean> {
  const [row] = (await client.query<{ v: string }>('SELECT version() AS v')).rows;
  return /cockroachdb/i.test(row?.v ?? '');
}

/** The schema to work in, set first on the search_path; created when asked and missing. */
async function settleSchema(client: PgSession, options: PostgresOptions, target: string): Promise<string> {
  const wanted = options.schema ?? (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? null;
  if (wanted === null) {
    throw new MfmigError('CONFIG_INVALID', `No schema of ${target}'s search_path exists; give one with --schema`);
  }
  if (wanted === '' || wanted.includes('\0')) throw new MfmigError('CONFIG_INVALID', 'The schema name is empty or holds a NUL character');
  if (options.createSchema) {
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(wanted)}`);
    } catch (error) {
      // two runners creating it at once: the loser sees a duplicate, and the schema exists
      if (sqlStateOf(error) !== PG_STATE.uniqueViolation && sqlStateOf(error) !== PG_STATE.duplicateSchema) {
        throw wrapPgError(error, 'DATABASE_INVALID', `Cannot create schema ${wanted}`);
      }
    }
  }
  await client.query(`SET search_path TO ${quoteIdentifier(wanted)}${wanted === 'public' ? '' : ', public'}`);
  return wanted;
}

/**
 * Asks the server to check, once a second during a long statement, that mfmig is still there
 * (PostgreSQL 14+). A runner killed mid-statement then has its statement cancelled and its
 * transaction rolled back within a second, instead of holding its locks until the statement ends.
 * Servers without the setting keep their own behaviour.
 */
async function checkClientWhileRunning(client: PgSession): Promise<void> {
  await client.query("SELECT set_config('client_connection_check_interval', '1000', false)").catch(() => {});
}

/**
 * Whether advisory locks really lock: the function must exist, take the lock, and show it in
 * pg_locks. CockroachDB defines them as no-ops, and older YugabyteDB raises an error: both read
 * as "no advisory locks", and the lock row alone guards a run there.
 */
async function hasAdvisoryLocks(client: PgSession): Promise<boolean> {
  const exists = (await client.query<{ ok: boolean }>("SELECT to_regprocedure('pg_catalog.pg_try_advisory_lock(integer, integer)') IS NOT NULL AS ok")).rows[0];
  if (exists?.ok !== true) return false;
  try {
    const taken = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(0, 0) AS ok')).rows[0]?.ok === true;
    if (!taken) return true; // another session holds the probe key: the locks are real
    const seen = await client.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = 0 AND classid = 0");
    await client.query('SELECT pg_advisory_unlock(0, 0)');
    return (seen.rowCount ?? 0) > 0;
  } catch {
    return false;
  }
}

/** {@link RunnableConnection} over one `pg` session. */
export class PostgresConnection implements RunnableConnection {
  readonly dialect = 'postgres' as const;
  readonly capabilities: DialectCapabilities;
  readonly target: string;
  /** The schema mfmig works in (first on the search_path). */
  readonly schema: string;
  readonly introspector: PostgresIntrospector;
  readonly integrity: PostgresIntegrity;
  readonly lock: PostgresLock;
  readonly history: PostgresHistory;
  readonly metrics: PostgresMetrics;
  readonly backup: PostgresBackupHooks;
  /** The host and port of the URL it was opened with (never the user or password), as backup manifests record them. */
  readonly endpoint: { host: string; port: number };
  readonly #client: PgSession;
  readonly #watchers = new Set<(sql: string) => void>();
  #kysely: Kysely<any> | undefined;
  #inTransaction = false;
  #savepoints = 0;

  readonly #url: string;

  constructor(client: PgSession, connect: () => Promise<PgSession>, info: { target: string; schema: string; capabilities: DialectCapabilities; url: string }) {
    // every statement of the session, the runner's, the services' and Kysely's, passes here first
    const watchers = this.#watchers;
    this.#client = {
      query<Row>(sql: string, params?: unknown[]) {
        for (const watch of watchers) watch(sql);
        return client.query<Row>(sql, params);
      },
      end: () => client.end(),
    };
    this.#url = info.url;
    this.target = info.target;
    this.schema = info.schema;
    this.capabilities = Object.freeze({ ...info.capabilities });
    this.introspector = new PostgresIntrospector(this, info.schema);
    this.integrity = new PostgresIntegrity(this, info.schema);
    this.lock = new PostgresLock(connect, info.schema, this.capabilities.advisoryLocks);
    this.history = new PostgresHistory(this, info.schema);
    this.metrics = new PostgresMetrics(this, info.schema);
    this.backup = new PostgresBackupHooks(this, info.schema, info.url);
    this.endpoint = postgresEndpoint(info.url);
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  get kysely(): Kysely<any> {
    if (!this.#kysely) {
      const { Kysely, PostgresDialect } = kyselyModule();
      const client = this.#client;
      // one session: Kysely's queries join the runner's transaction, and its "pool" never closes the client
      const pool = { connect: async () => ({ query: client.query.bind(client), release() {} }), end: async () => {} };
      this.#kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool: pool as never }) });
    }
    return this.#kysely;
  }

  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#client.query(sql, params as unknown[])).rows as Row[];
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.#client.query(sql, params as unknown[])).rowCount ?? 0;
  }

  async hasTable(name: string): Promise<boolean> {
    const sql = "SELECT coalesce((SELECT relkind IN ('r', 'p') FROM pg_class WHERE oid = to_regclass(quote_ident($1))), false) AS ok";
    return (await this.query<{ ok: boolean }>(sql, [name]))[0]?.ok === true;
  }

  /**
   * True when the schema exists (by default the one this connection works in, which
   * `createSchema: false` does not create): a command that reads a schema checks it first.
   *
   * @example
   * if (!(await conn.hasSchema())) throw new MfmigError('DATABASE_NOT_FOUND', `Schema ${conn.schema} does not exist`);
   */
  async hasSchema(name: string = this.schema): Promise<boolean> {
    return (await this.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).length > 0;
  }

  async splitStatements(sql: string): Promise<string[]> {
    return (await analyzePostgresSql(sql)).map((s) => s.sql);
  }

  async analyzeScript(sql: string): Promise<ScriptStatement[]> {
    return (await analyzePostgresSql(sql)).map((s) => ({
      sql: s.sql,
      line: s.line,
      keepsData: s.keepsData,
      ...(s.nonTransactional ? { nonTransactional: s.nonTransactional } : {}),
    }));
  }

  isTransientConflict(error: unknown): boolean {
    return isTransientConflict(error);
  }

  isLockTimeout(error: unknown): boolean {
    return isLockTimeout(error);
  }

  async executeScript(sql: string): Promise<void> {
    for (const statement of await analyzePostgresSql(sql)) {
      try {
        await this.#client.query(statement.sql);
      } catch (error) {
        throw wrapPgError(error, 'MIGRATION_FAILED', `Statement at line ${statement.line} failed: ${abbreviateSql(statement.sql)}`, {
          statement: statement.sql,
          line: statement.line,
        });
      }
    }
  }

  async begin(): Promise<void> {
    await this.#client.query('BEGIN');
    this.#inTransaction = true;
  }

  async commit(): Promise<void> {
    this.#inTransaction = false;
    await this.#client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    await this.#client.query('ROLLBACK');
  }

  /** Runs `fn` in one transaction; inside a transaction already, in a savepoint of it, so that `fn` is still all or nothing and a failure leaves the outer transaction usable. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inTransaction) return this.#inSavepoint(fn);
    await this.begin();
    try {
      const value = await fn();
      await this.commit();
      return value;
    } catch (error) {
      await this.rollback().catch(() => {});
      throw error;
    }
  }

  async #inSavepoint<T>(fn: () => Promise<T>): Promise<T> {
    const name = `mfmig_connection_${++this.#savepoints}`;
    await this.#client.query(`SAVEPOINT ${name}`);
    try {
      const value = await fn();
      await this.#client.query(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (error) {
      if (this.#inTransaction) {
        await this.#client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        await this.#client.query(`RELEASE SAVEPOINT ${name}`).catch(() => {});
      }
      throw error;
    } finally {
      this.#savepoints--;
    }
  }

  /**
   * Sets `lock_timeout`: for the current transaction (`SET LOCAL`), or for the session. A DDL
   * statement that cannot get its lock in time fails with SQLSTATE 55P03 instead of queueing
   * every later query behind it.
   */
  async setLockTimeout(ms: number | null, scope: 'transaction' | 'session'): Promise<void> {
    const local = scope === 'transaction' ? 'LOCAL ' : '';
    await this.#client.query(ms === null ? `SET ${local}lock_timeout TO DEFAULT` : `SET ${local}lock_timeout = ${Math.max(0, Math.round(ms))}`);
  }

  /**
   * Calls `watch` with the text of every statement this session sends from now on (the runner's,
   * the participants', a module migration's through Kysely), before it is sent; the returned
   * function stops it. The planner's rehearsal reads what a module migration ran this way.
   *
   * @example
   * const seen: string[] = [];
   * const stop = conn.watchStatements((sql) => seen.push(sql));
   * try { await migrator.migrate({ latest: true }); } finally { stop(); }
   */
  watchStatements(watch: (sql: string) => void): () => void {
    const own = (sql: string) => watch(sql);
    this.#watchers.add(own);
    return () => this.#watchers.delete(own);
  }

  async close(): Promise<void> {
    await this.lock.release().catch(() => {});
    await this.#client.end().catch(() => {});
  }

  /** A new, empty scratch schema on the same server, on a session of its own (see `openScratchSchema`). */
  async openScratch(): Promise<ScratchConnection> {
    return openScratchSchema(this.#url, openPostgres);
  }
}
