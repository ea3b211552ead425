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
  /** Parent (lower-case) -> tables referencing it, with their ON DELETE action. */
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
  const rows: Record<string, number> = {};
  const rowBytes: Record<string, number> = {};
  const children = new Map<string, { table: string; onDelete: string }[]>();
  for (const table of adapter.userTables()) {
    rows[table] = adapter.rowCount(table);
    const columns = (db.prepare('SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0').pluck().all(table) as string[]).map(
      (c) => `coalesce(length(${quoteIdentifier(c)}), 0)`,
    );
    if (rows[table]! > 0 && columns.length > 0) {
      const avg = db
        .prepare(`SELECT avg(${columns.join(' + ')}) FROM (SELECT * FROM ${quoteIdentifier(table)} LIMIT 500)`)
        .pluck()
        .get() as number | null;
      rowBytes[table.toLowerCase()] = (avg ?? 0) + 4 * columns.length + 8;
    }
    for (const fk of db.prepare('SELECT "table" AS parent, on_delete FROM pragma_foreign_key_list(?)').all(table) as { parent: string; on_delete: string }[]) {
      const key = fk.parent.toLowerCase();
      children.set(key, [...(children.get(key) ?? []), { table, onDelete: fk.on_delete }]);
    }
  }
  const indexes = Object.fromEntries(
    (
      db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND substr(tbl_name, 1, 6) <> 'mfmig_'").all() as {
        name: string;
        tbl_name: string;
      }[]
    ).map((r) => [r.name, r.tbl_name]),
  );
  const cache = Number(db.value('PRAGMA cache_size'));
  const pageSize = Number(db.value('PRAGMA page_size'));
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
