import { type DatabaseAdapter } from '@mfmig/core';

/** One foreign key of a table: its columns, the parent table it names, and its ON DELETE action. */
export interface ForeignKeyEdge {
  /** The child table (the one declaring the key). */
  table: string;
  columns: string[];
  /** The parent table, as the child's REFERENCES clause names it now. */
  parent: string;
  /** `CASCADE`, `SET NULL`, `SET DEFAULT`, `RESTRICT` or `NO ACTION`. */
  onDelete: string;
}

interface KeyRow {
  child: string;
  id: number;
  parent: string;
  column: string;
  onDelete: string;
}

/**
 * Every foreign key of the user tables of `db` (not `sqlite_` or `mfmig_` ones), as the schema is now.
 *
 * @example
 * foreignKeyEdges(db); // [{ table: 'book', columns: ['author_id'], parent: 'author', onDelete: 'CASCADE' }]
 */
export function foreignKeyEdges(db: DatabaseAdapter): ForeignKeyEdge[] {
  const rows = db
    .prepare(
      `SELECT t.name AS child, f.id AS id, f."table" AS parent, f."from" AS "column", f.on_delete AS onDelete
       FROM pragma_table_list AS t, pragma_foreign_key_list(t.name) AS f
       WHERE t.schema = 'main' AND t.type = 'table' AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(t.name, 1, 6) <> 'mfmig_'
       ORDER BY t.name, f.id, f.seq`,
    )
    .all() as KeyRow[];
  const edges = new Map<string, ForeignKeyEdge>();
  for (const row of rows) {
    const key = `${row.child}\u0000${row.id}`;
    const edge = edges.get(key);
    if (edge) edge.columns.push(row.column);
    else edges.set(key, { table: row.child, columns: [row.column], parent: row.parent, onDelete: row.onDelete });
  }
  return [...edges.values()];
}

/**
 * Child tables by parent (lower-case parent name), with their ON DELETE action. Self-references are left out.
 *
 * @example
 * childTables(foreignKeyEdges(db)).get('author'); // [{ table: 'book', columns: ['author_id'], parent: 'author', onDelete: 'CASCADE' }]
 */
export function childTables(edges: ForeignKeyEdge[]): Map<string, ForeignKeyEdge[]> {
  const children = new Map<string, ForeignKeyEdge[]>();
  for (const edge of edges) {
    const parent = edge.parent.toLowerCase();
    if (parent === edge.table.toLowerCase()) continue;
    children.set(parent, [...(children.get(parent) ?? []), edge]);
  }
  return children;
}

/**
 * Foreign keys whose parent table does not exist: with foreign keys on, every insert into the
 * child (and every update of its key columns) fails with `no such table`.
 *
 * @example
 * danglingForeignKeys(db); // [{ table: 'book', columns: ['author_id'], parent: '_author_old', onDelete: 'CASCADE' }]
 */
export function danglingForeignKeys(db: DatabaseAdapter, edges = foreignKeyEdges(db)): ForeignKeyEdge[] {
  const tables = new Set(
    db.prepare("SELECT lower(name) FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual')").pluck().all() as string[],
  );
  return edges.filter((edge) => !tables.has(edge.parent.toLowerCase()));
}
