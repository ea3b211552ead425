import { type DatabaseAdapter, quoteIdentifier } from '@mfmig/core';

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
 * Reads row counts, indexes, row sizes, foreign keys and the page cache size of the live database.
 *
 * @example
 * const facts = readLiveFacts(adapter);
 * facts.rows.kb_entries; // 100000
 */
export function readLiveFacts(adapter: DatabaseAdapter): LiveFacts {
  const db: DatabaseAdapter = adapter;
  const catalog = adapter.introspector;
  const rows: Record<string, number> = {};
  const rowBytes: Record<string, number> = {};
  const children = new Map<string, { table: string; onDelete: string }[]>();
  for (const table of adapter.userTables()) {
    rows[table] = adapter.rowCount(table);
    const columns = catalog
      .columnsSync(table)
      .filter((c) => c.hidden === 0)
      .map((c) => `coalesce(length(${quoteIdentifier(c.name)}), 0)`);
    if (rows[table]! > 0 && columns.length > 0) {
      const avg = db
        .prepare(`SELECT avg(${columns.join(' + ')}) FROM (SELECT * FROM ${quoteIdentifier(table)} LIMIT 500)`)
        .pluck()
        .get() as number | null;
      rowBytes[table.toLowerCase()] = (avg ?? 0) + 4 * columns.length + 8;
    }
    for (const fk of catalog.foreignKeyListSync(table)) {
      const key = fk.parent.toLowerCase();
      children.set(key, [...(children.get(key) ?? []), { table, onDelete: fk.onDelete }]);
    }
  }
  const indexes = Object.fromEntries(
    catalog
      .catalogSync()
      .filter((r) => r.type === 'index' && r.sql !== null && !r.tbl_name.startsWith('mfmig_'))
      .map((r) => [r.name, r.tbl_name]),
  );
  const cache = Number(db.value('PRAGMA cache_size'));
  const { pageSize } = catalog.storageSync();
  return {
    path: adapter.filePath,
    sizeBytes: adapter.sizeBytes(),
    cacheBytes: cache < 0 ? -cache * 1024 : cache * pageSize,
    rows,
    indexes,
    rowBytes,
    children,
  };
}
