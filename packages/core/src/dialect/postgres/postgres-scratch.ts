import { randomBytes } from 'node:crypto';
import type { ScratchConnection } from '../dialect.js';
import { quoteIdent, quoteLiteral } from './postgres-catalog-queries.js';
import type { PostgresConnection, PostgresOptions } from './postgres-connection.js';

/** The prefix of every scratch schema a rehearsal makes: `mfmig_rehearsal_<12 hex digits>`. */
export const REHEARSAL_SCHEMA_PREFIX = 'mfmig_rehearsal_';

/** `openPostgres`, handed in (it lives in the connection's module, which opens scratch schemas through this one). */
type OpenPostgres = (url: string, options: PostgresOptions) => Promise<PostgresConnection>;

/** A scratch schema and the session that owns it. */
export interface ScratchSchema extends ScratchConnection {
  readonly connection: PostgresConnection;
  readonly schema: string;
}

/**
 * Opens a new, empty schema `mfmig_rehearsal_<hex>` in the database of `url`, on a session of its
 * own whose search_path holds that schema (and schemas that hold extensions and no tables), so
 * that migrations that name no schema run there unchanged and cannot reach the live schema's
 * tables. `dispose` drops it (`DROP SCHEMA ... CASCADE`) and closes the session. Scratch schemas
 * of sessions that have ended (a process killed outright) are dropped on the way.
 *
 * @example
 * const scratch = await openScratchSchema(url, openPostgres);
 * try { await scratch.connection.execute('CREATE TABLE t (id int)'); } finally { await scratch.dispose(); }
 */
export async function openScratchSchema(url: string, open: OpenPostgres): Promise<ScratchSchema> {
  const schema = `${REHEARSAL_SCHEMA_PREFIX}${randomBytes(6).toString('hex')}`;
  const conn = await open(url, { schema, createSchema: true });
  const dispose = () => dropScratch(conn, url, schema, open);
  try {
    await claimScratch(conn, schema);
    await dropAbandonedRehearsals(conn);
    // openPostgres puts `public` after the schema: a live `public` must stay out of reach
    const reachable = [schema, ...(await extensionOnlySchemas(conn, schema))];
    await conn.execute(`SET search_path TO ${reachable.map(quoteIdent).join(', ')}`);
  } catch (error) {
    await dispose().catch(() => {});
    throw error;
  }
  return { connection: conn, schema, dispose };
}

/** The server node a session is on: backend pids are only comparable on one node. */
const SERVER_NODE = "coalesce(host(inet_server_addr()), 'socket') || ':' || coalesce(inet_server_port()::text, current_setting('port'))";

/** Marks the scratch schema with the session that owns it, so that a later rehearsal can tell it was abandoned. */
async function claimScratch(conn: PostgresConnection, schema: string): Promise<void> {
  const [owner] = await conn.query<{ tag: string }>(`SELECT 'mfmig rehearsal; backend ' || pg_backend_pid() || '; server ' || ${SERVER_NODE} AS tag`);
  await conn.execute(`COMMENT ON SCHEMA ${quoteIdent(schema)} IS ${quoteLiteral(owner!.tag)}`);
}

/**
 * Drops the scratch schemas of rehearsals whose session has ended (a process killed outright
 * cannot drop its own). Only schemas marked by {@link claimScratch} on this server node count,
 * and only when `pg_stat_activity` lists this session (where the view is empty or per node, as on
 * CockroachDB and YugabyteDB, nothing is dropped). A schema that cannot be dropped is left.
 */
async function dropAbandonedRehearsals(conn: PostgresConnection): Promise<void> {
  const abandoned = await conn.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n
      WHERE starts_with(n.nspname, $1)
        AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = pg_backend_pid())
        AND substring(obj_description(n.oid, 'pg_namespace') FROM '; server (.*)$') = ${SERVER_NODE}
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                         WHERE a.pid::text = substring(obj_description(n.oid, 'pg_namespace') FROM '^mfmig rehearsal; backend ([0-9]+);'))`,
    [REHEARSAL_SCHEMA_PREFIX],
  );
  for (const { name } of abandoned) await conn.execute(`DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`).catch(() => {});
}

/**
 * Schemas that hold extensions and no table, view or foreign table: their types and functions
 * stay reachable by bare name (as `citext` or `uuid_generate_v4()` in an `extensions` schema),
 * and a migration has nothing there to write to.
 */
async function extensionOnlySchemas(conn: PostgresConnection, scratch: string): Promise<string[]> {
  const rows = await conn.query<{ name: string }>(
    `SELECT DISTINCT n.nspname AS name FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
     WHERE n.nspname NOT IN ('pg_catalog', $1)
       AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))
     ORDER BY 1`,
    [scratch],
  );
  return rows.map((r) => r.name);
}

/** Drops the scratch schema on its own session, or on a new one when that session broke; then closes it. */
async function dropScratch(conn: PostgresConnection, url: string, schema: string, open: OpenPostgres): Promise<void> {
  const drop = `DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`;
  try {
    await conn.rollback().catch(() => {});
    await conn.lock.release().catch(() => {});
    await conn.execute(drop);
  } catch {
    const other = await open(url, { schema: 'pg_catalog' });
    try {
      await other.execute(drop);
    } finally {
      await other.close();
    }
  } finally {
    await conn.close();
  }
}
