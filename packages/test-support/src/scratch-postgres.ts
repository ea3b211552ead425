import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The server the PostgreSQL tests use: `MFMIG_TEST_PG_URL`, else the machine's own server on
 * 127.0.0.1:5432 as the `postgres` role (trust auth on CI and developer machines).
 */
export const TEST_PG_SERVER = process.env.MFMIG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const created: string[] = [];

/** The URL of database `name` on the test server. */
export function postgresUrl(name: string): string {
  const url = new URL(TEST_PG_SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A new, empty database on the test server, dropped by {@link dropScratchDatabases} (call it in
 * `afterAll`). Each test gets its own, so test files can run side by side.
 *
 * @example
 * const url = await scratchDatabase();
 * await runCli(['--db', url, 'migrate']);
 */
export async function scratchDatabase(): Promise<string> {
  const name = `mfmig_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return postgresUrl(name);
}

/**
 * Drops every database {@link scratchDatabase} made in this process, ending the sessions still
 * connected to them (a killed child's backend can outlive it for a moment).
 *
 * @example
 * afterAll(dropScratchDatabases);
 */
export async function dropScratchDatabases(): Promise<void> {
  const names = created.splice(0);
  if (names.length === 0) return;
  await onServer(async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/**
 * Runs `fn` with a client connected to `url` (default: the test server's maintenance database).
 *
 * @example
 * const rows = await withClient(url, (c) => c.query('SELECT count(*) FROM t'));
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Another session, as an application's: `sql` runs in a transaction it keeps open (its locks
 * held) until `commit()`.
 *
 * @example
 * const app = await openTransaction(url, "INSERT INTO notes VALUES (9, 'not committed yet')");
 * // ... what must wait for it, or give up ...
 * await app.commit();
 */
export async function openTransaction(url: string, sql: string): Promise<{ commit(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(sql);
  return {
    async commit() {
      try {
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    },
  };
}

function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(TEST_PG_SERVER, fn);
}

/**
 * Everything a command that must write nothing could change in the database at `url`: its schemas
 * (a scratch schema left behind shows), and every table outside the catalogs with all its rows.
 * Compare a read before with one after.
 *
 * @example
 * const before = await postgresContents(url);
 * // ... a refused or read-only command ...
 * expect(await postgresContents(url)).toEqual(before);
 */
export async function postgresContents(url: string): Promise<{ schemas: unknown[]; tables: unknown[] }> {
  return withClient(url, async (c) => {
    const schemas = (await c.query("SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1")).rows;
    const names = (
      await c.query<{ s: string; t: string }>(
        "SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
      )
    ).rows;
    const tables: unknown[] = [];
    for (const { s, t } of names) {
      const quoted = `"${s.replace(/"/g, '""')}"."${t.replace(/"/g, '""')}"`;
      tables.push([s, t, (await c.query(`SELECT * FROM ${quoted} ORDER BY 1`)).rows]);
    }
    return { schemas, tables };
  });
}
