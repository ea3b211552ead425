import { quoteIdentifier } from '../../adapter/quote.js';
/** The queries the sizes need: any PostgreSQL connection. */
interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** How big a table is, as the catalog tells without reading it. */
export interface PgTableSize {
  /** Rows, estimated (see {@link tableSizes}). */
  rows: number;
  /** Bytes of the table (with its TOAST data, without its indexes) over its rows; 0 when it has none. */
  bytesPerRow: number;
  /** Indexes on the table: what a rewrite rebuilds. */
  indexes: number;
  /** `reltuples`: from the statistics of the last ANALYZE or VACUUM; `pages`: never analysed, from its size and column widths. */
  rowsFrom: 'reltuples' | 'pages';
}

/** A relation name as the analyser gives it (`app.users`), quoted part by part for `to_regclass`; undefined when it cannot name one. */
function quotedName(name: string): string | undefined {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => p === '' || p.includes('\0'))) return undefined;
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

/** The names that can name a relation, each with its quoted form, once each. */
function resolvable(names: readonly string[]): { name: string; quoted: string }[] {
  return [...new Set(names)].flatMap((name) => {
    const quoted = quotedName(name);
    return quoted === undefined ? [] : [{ name, quoted }];
  });
}

/**
 * Rows per relation as the last ANALYZE or VACUUM left them in `pg_class.reltuples`, unscaled (the
 * row counts the plan's risk rules quote); relations never analysed (-1) or missing are left out.
 *
 * @example
 * (await catalogRowEstimates(conn, ['kb_entries'])).get('kb_entries'); // 2000
 */
export async function catalogRowEstimates(db: Queryable, names: readonly string[]): Promise<Map<string, number>> {
  const named = resolvable(names);
  if (named.length === 0) return new Map();
  const rows = await db.query<{ name: string; rows: number }>(
    `SELECT t.name, c.reltuples::float8 AS rows
       FROM unnest($1::text[], $2::text[]) AS t(name, quoted)
       JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.quoted)
      WHERE c.reltuples >= 0`,
    [named.map((n) => n.name), named.map((n) => n.quoted)],
  );
  return new Map(rows.map((r) => [r.name, Number(r.rows)]));
}

// The rows of a table as the planner estimates them (estimate_rel_size): the density of the last
// statistics (reltuples over relpages) times the pages the table has now; never analysed, pages
// times the rows that fit in a page by the widths of its columns (32 bytes for a variable-length one).
const SIZES = `
  SELECT t.name, s.rows, s.bytes, s.indexes, s.from_stats
    FROM unnest($1::text[], $2::text[]) AS t(name, quoted)
    JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.quoted) AND c.relkind IN ('r', 'm')
   CROSS JOIN LATERAL (
     SELECT pg_catalog.pg_relation_size(c.oid)::float8 / current_setting('block_size')::float8 AS pages,
            (SELECT 24 + 4 + coalesce(sum(CASE WHEN a.attlen > 0 THEN a.attlen ELSE 32 END), 0)
               FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::float8 AS width
   ) p
   CROSS JOIN LATERAL (
     SELECT CASE WHEN c.reltuples >= 0 AND c.relpages > 0 THEN c.reltuples::float8 / c.relpages * p.pages
                 WHEN c.reltuples >= 0 THEN c.reltuples::float8
                 ELSE floor(p.pages * (current_setting('block_size')::float8 - 24) / p.width) END AS rows,
            pg_catalog.pg_table_size(c.oid)::float8 AS bytes,
            (SELECT count(*) FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid)::int AS indexes,
            c.reltuples >= 0 AS from_stats
   ) s`;

/**
 * The size of each named table (names as `analyzePostgresSql` gives them, resolved on the
 * session's search_path) from the catalog alone, nothing scanned: rows as the planner estimates
 * them (`pg_class.reltuples` scaled to the pages the table has now; for a table never analysed,
 * whose reltuples is -1, its pages times the rows its column widths fit in a page), bytes per row
 * and indexes. Names that are no table with storage (missing, a view, a partitioned parent) are left out.
 *
 * @example
 * const sizes = await tableSizes(conn, ['kb_entries', 'app.incidents']);
 * sizes.get('kb_entries'); // { rows: 2000, bytesPerRow: 412, indexes: 3, rowsFrom: 'reltuples' }
 */
export async function tableSizes(db: Queryable, names: readonly string[]): Promise<Map<string, PgTableSize>> {
  const named = resolvable(names);
  if (named.length === 0) return new Map();
  const rows = await db.query<{ name: string; rows: number; bytes: number; indexes: number; from_stats: boolean }>(SIZES, [
    named.map((n) => n.name),
    named.map((n) => n.quoted),
  ]);
  return new Map(
    rows.map((r) => {
      const count = Math.max(0, Math.round(Number(r.rows)));
      const size: PgTableSize = {
        rows: count,
        bytesPerRow: count > 0 ? Number(r.bytes) / count : 0,
        indexes: Number(r.indexes),
        rowsFrom: r.from_stats ? 'reltuples' : 'pages',
      };
      return [r.name, size];
    }),
  );
}

/** Below this many rows (by the planner's estimate) a table's rows are counted exactly. */
const COUNT_EXACTLY_BELOW = 1_000_000;

/**
 * Rows of a live table: counted when small, else the planner's estimate (`reltuples`, or the
 * statistics' live rows).
 *
 * @example
 * await liveRows(conn, 'kb_entries'); // 1000000
 */
export async function liveRows(conn: Queryable & { readonly schema: string }, table: string): Promise<number> {
  const [estimate] = await conn.query<{ n: number }>(
    `SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE coalesce(s.n_live_tup, -1) END::float8 AS n
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
      WHERE n.nspname = $1 AND c.relname = $2`,
    [conn.schema, table],
  );
  const guess = Number(estimate?.n ?? -1);
  if (guess >= COUNT_EXACTLY_BELOW) return Math.round(guess);
  const [counted] = await conn.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${quoteIdentifier(conn.schema)}.${quoteIdentifier(table)}`);
  return Number(counted?.n ?? 0);
}
