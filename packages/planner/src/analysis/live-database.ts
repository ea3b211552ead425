import { type SqliteConnection, quoteIdentifier } from '@mfmig/core';

/** What the planner reads from the live database (read-only). */
export interface LiveFacts {
  path: string;
  sizeBytes: number;
  /** Bytes of SQLite's page cache for this connection. */
  cacheBytes: number;
  rows: Record<string, number>;
  /** Index name -> table. */
  indexes: Record<string, string>;
  /** Average bytes per row of each table, from a sample of rows (lower-case names). */
  rowBytes: Record<string, number>;
  /** Parent (lower-case) -> one entry per foreign key referencing it: the child table and its ON DELETE action. */
  children: Map<string, { table: string; onDelete: string }[]>;
}

/**
 * Reads row counts, indexes, row sizes, foreign keys and the page cache size of the live
 * database, through its connection.
 *
 * @example
 * const facts = await readLiveFacts(framework.context.connection);
 * facts.rows.kb_entries; // 100000
 */
export async function readLiveFacts(conn: SqliteConnection): Promise<LiveFacts> {
  const catalog = conn.introspector;
  const rows: Record<string, number> = {};
  const rowBytes: Record<string, number> = {};
  const children = new Map<string, { table: string; onDelete: string }[]>();
  for (const table of await catalog.tableNames()) {
    rows[table] = await scalar(conn, `SELECT count(*) FROM ${quoteIdentifier(table)}`);
    const columns = (await catalog.columns(table)).filter((c) => c.hidden === 0).map((c) => `coalesce(length(${quoteIdentifier(c.name)}), 0)`);
    if (rows[table]! > 0 && columns.length > 0) {
      const avg = await scalar(conn, `SELECT avg(${columns.join(' + ')}) FROM (SELECT * FROM ${quoteIdentifier(table)} LIMIT 500)`);
      rowBytes[table.toLowerCase()] = avg + 4 * columns.length + 8;
    }
    for (const fk of await catalog.foreignKeyList(table)) {
      const key = fk.parent.toLowerCase();
      children.set(key, [...(children.get(key) ?? []), { table, onDelete: fk.onDelete }]);
    }
  }
  const indexes = Object.fromEntries(
    (await catalog.catalog()).filter((r) => r.type === 'index' && r.sql !== null && !r.tbl_name.startsWith('mfmig_')).map((r) => [r.name, r.tbl_name]),
  );
  const cache = await scalar(conn, 'PRAGMA cache_size');
  const { pageSize, pageCount } = await catalog.storage();
  return {
    path: conn.target,
    sizeBytes: pageSize * pageCount,
    cacheBytes: cache < 0 ? -cache * 1024 : cache * pageSize,
    rows,
    indexes,
    rowBytes,
    children,
  };
}

/** The first column of the first row of one statement, as a number (0 for none or NULL). */
async function scalar(conn: SqliteConnection, sql: string): Promise<number> {
  const [row] = await conn.query<Record<string, unknown>>(sql);
  const value = row ? Object.values(row)[0] : null;
  return value == null ? 0 : Number(value);
}
