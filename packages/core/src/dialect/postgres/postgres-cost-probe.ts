import { randomBytes } from 'node:crypto';
import { quoteIdent, quoteLiteral } from './postgres-catalog-queries.js';
import { type PostgresConnection, openPostgres } from './postgres-connection.js';

/** What one statement of each kind costs on a server, measured by {@link probePostgresCosts}. */
export interface PostgresCostProbe {
  /** Rows of the tables each timed statement worked on. */
  rows: number;
  /** Where the probe's tables lived: the schema mfmig works in, or `temp` (TEMP tables write no WAL) when it cannot create tables there. */
  place: 'schema' | 'temp';
  /** Seconds of a statement that changes the catalog only (CREATE TABLE, ADD COLUMN): the median of three, round trip included. */
  statementSeconds: number;
  /** Seconds per row: a copy of narrow rows (one integer) and of wide ones (an integer and a text), a full scan, an index build, an UPDATE of an indexed column, a DELETE. */
  secondsPerRow: { copyNarrow: number; copyWide: number; scan: number; index: number; update: number; delete: number };
  /** Bytes per row of the narrow and the wide table (`pg_table_size` over rows). */
  narrowRowBytes: number;
  wideRowBytes: number;
  /** How long the probe took, in ms. */
  probeMs: number;
}

/** Rows the probe's tables hold: enough to time per-row costs, few enough to stay near 100 ms. */
const PROBE_ROWS = 5_000;

/** The ms a statement takes, the round trip of an empty query (`rtt`) taken off but never below a tenth of it. */
async function timed(conn: PostgresConnection, sql: string, rtt = 0): Promise<number> {
  const start = performance.now();
  await conn.execute(sql);
  const ms = performance.now() - start;
  return Math.max(ms - rtt, ms / 10);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The probe's four tables, created where it may: in the schema (WAL-logged, as the live tables are), else as TEMP tables. */
async function createTables(
  conn: PostgresConnection,
  schema: string,
): Promise<{ place: PostgresCostProbe['place']; name: (t: string) => string; ddlMs: number[] }> {
  const tag = `mfmig_cost_probe_${randomBytes(4).toString('hex')}`;
  const inSchema = (t: string) => `${quoteIdent(schema)}.${quoteIdent(`${tag}_${t}`)}`;
  const inTemp = (t: string) => `pg_temp.${quoteIdent(`${tag}_${t}`)}`;
  await conn.execute('SAVEPOINT mfmig_cost_probe');
  let place: PostgresCostProbe['place'] = 'schema';
  try {
    await conn.execute(`CREATE TABLE ${inSchema('wide')} (id integer, payload text)`);
  } catch {
    // no right to create tables there, or no such schema (a plan of a schema not created yet)
    await conn.execute('ROLLBACK TO SAVEPOINT mfmig_cost_probe');
    await conn.execute(`CREATE TEMP TABLE ${inTemp('wide')} (id integer, payload text)`);
    place = 'temp';
  }
  const name = place === 'schema' ? inSchema : inTemp;
  await conn.execute(`CREATE ${place === 'temp' ? 'TEMP ' : ''}TABLE ${name('narrow')} (id integer)`);
  const ddlMs = [
    await timed(conn, `CREATE ${place === 'temp' ? 'TEMP ' : ''}TABLE ${name('wide_copy')} (id integer, payload text)`),
    await timed(conn, `CREATE ${place === 'temp' ? 'TEMP ' : ''}TABLE ${name('narrow_copy')} (id integer)`),
    await timed(conn, `ALTER TABLE ${name('narrow_copy')} ADD COLUMN spare integer`),
  ];
  return { place, name, ddlMs };
}

/**
 * Measures what statements cost on the server of `url`, for the plan's model: in one transaction
 * on a session of its own, it creates tables of {@link PROBE_ROWS} rows (in `schema`, else as
 * TEMP tables), times catalog-only DDL, copies of narrow and wide rows, a scan, an index build, an
 * UPDATE and a DELETE, and rolls everything back: nothing it made outlives it, even when the
 * process dies (the server then aborts the transaction). Each statement is bounded by a
 * `statement_timeout`; a server that refuses the probe (a read-only standby) throws.
 *
 * @example
 * const probe = await probePostgresCosts(url, { schema: 'public' });
 * probe.secondsPerRow.copyWide * 1_000_000; // seconds to copy a million rows like the probe's wide ones
 */
export async function probePostgresCosts(url: string, options: { schema: string }): Promise<PostgresCostProbe> {
  const started = performance.now();
  const conn = await openPostgres(url, { schema: options.schema, createSchema: false, advisoryLocks: false });
  try {
    await conn.begin();
    await conn.execute("SET LOCAL statement_timeout = '5s'");
    await conn.execute("SET LOCAL lock_timeout = '1s'");
    const rtt = Math.min(await timed(conn, 'SELECT 1'), await timed(conn, 'SELECT 1'), await timed(conn, 'SELECT 1'));
    const { place, name, ddlMs } = await createTables(conn, options.schema);
    await conn.execute(`INSERT INTO ${name('wide')} SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, ${PROBE_ROWS}) g`);
    await conn.execute(`INSERT INTO ${name('narrow')} SELECT g FROM generate_series(1, ${PROBE_ROWS}) g`);
    const [bytes] = await conn.query<{ wide: number; narrow: number }>(
      `SELECT pg_table_size(${quoteLiteral(name('wide'))}::regclass)::float8 AS wide, pg_table_size(${quoteLiteral(name('narrow'))}::regclass)::float8 AS narrow`,
    );
    const perRow = async (sql: string) => (await timed(conn, sql, rtt)) / 1000 / PROBE_ROWS;
    const copyWide = await perRow(`INSERT INTO ${name('wide_copy')} SELECT * FROM ${name('wide')}`);
    const copyNarrow = await perRow(`INSERT INTO ${name('narrow_copy')} (id) SELECT id FROM ${name('narrow')}`);
    const scan = await perRow(`SELECT count(*) FROM ${name('wide')} WHERE payload IS NOT NULL`);
    const index = await perRow(`CREATE INDEX ON ${name('wide')} (id)`);
    const update = await perRow(`UPDATE ${name('wide')} SET id = id + 1`);
    const remove = await perRow(`DELETE FROM ${name('wide_copy')}`);
    await conn.rollback();
    return {
      rows: PROBE_ROWS,
      place,
      statementSeconds: median(ddlMs) / 1000,
      secondsPerRow: { copyNarrow, copyWide, scan, index, update, delete: remove },
      narrowRowBytes: Number(bytes!.narrow) / PROBE_ROWS,
      wideRowBytes: Number(bytes!.wide) / PROBE_ROWS,
      probeMs: performance.now() - started,
    };
  } finally {
    await conn.rollback().catch(() => {});
    await conn.close();
  }
}
