// What the PostgreSQL bench suites share: the server, a scratch database per run (dropped WITH
// (FORCE) after it, and at the end of the suite whatever happened), the generated kb_entries they
// move, and the small helpers of their logs. The server is MFMIG_BENCH_PG_URL, as a role that may
// create databases (default postgres://postgres@127.0.0.1:5432/postgres; its database is only used
// to create and drop the scratch databases).
import pg from 'pg';

export const SERVER = process.env.MFMIG_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export const KB_DDL = `CREATE TABLE kb_entries (
  id bigserial PRIMARY KEY,
  title text,
  problem text,
  solution text,
  category text,
  created_at timestamptz DEFAULT now()
)`;
/** Deterministic rows, so that every database of a round holds the same data. */
export const fillSql = (rows) => `INSERT INTO kb_entries (title, problem, solution, category, created_at)
SELECT 'KB ' || i || ': ' || left(md5(i::text), 20),
       'Problem ' || i || ': ' || repeat(md5(i::text), 3),
       'Solution ' || i || ': ' || repeat(md5((i + 1)::text), 4),
       (ARRAY['network', 'database', 'storage', 'auth', 'ui', 'billing'])[1 + i % 6],
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, ${rows}) AS g(i)`;

/** Fills kb_entries with `rows` rows and vacuums it; returns the time it took. */
export async function fill(url, rows) {
  return withClient(url, async (client) => {
    const start = performance.now();
    await client.query(KB_DDL);
    await client.query(fillSql(rows));
    await client.query('VACUUM (ANALYZE) kb_entries');
    return performance.now() - start;
  });
}

// ---------------------------------------------------------------------------------------------------
// server, scratch databases

/** A connected client on the server's own database, or a one-line error that says why not. */
export async function reach(url, suite = 'postgres') {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const role = (await client.query('SELECT rolsuper OR rolcreatedb AS ok FROM pg_roles WHERE rolname = current_user')).rows[0];
    if (role?.ok !== true) throw new Error('the role may not create databases');
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw oneLine(`${suite} suite skipped: cannot use PostgreSQL at ${redact(url)} (set MFMIG_BENCH_PG_URL): ${messageOf(error)}`);
  }
}

export function scratchDatabases(admin) {
  const live = new Set();
  let next = 0;
  return {
    admin,
    async create() {
      const name = `mfmig_bench_${process.pid}_${++next}`;
      await admin.query(`CREATE DATABASE ${name}`);
      live.add(name);
      return { name, url: databaseUrl(SERVER, name) };
    },
    async drop(db) {
      await admin.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
      live.delete(db.name);
    },
    async dropAll() {
      for (const name of [...live]) {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(
          () => live.delete(name),
          () => {},
        );
      }
    },
  };
}

/** Flushes what the previous run left dirty, so that no run pays for another's checkpoint (superusers only). */
export async function checkpoint(admin) {
  await admin.query('CHECKPOINT').catch(() => {});
}

export async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export function databaseUrl(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** An error the harness prints as one line (it prints the stack). */
export function oneLine(message) {
  const error = new Error(message);
  error.stack = message;
  return error;
}

export function messageOf(error) {
  if (error?.message) return error.message;
  const inner = error?.errors?.map((e) => e?.message).filter(Boolean);
  return inner?.length ? inner.join('; ') : String(error?.code ?? error);
}

export function median(a) {
  return [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
}

export function ms(t) {
  return `${Math.round(t)} ms`;
}
