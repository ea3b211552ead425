import { type SqliteIntrospector } from '@mfmig/core';

/** What the foreign-key reads need: a `SqliteConnection` (its introspector's synchronous reads, so that a statement watcher can call them). */
export interface SqliteCatalogReader {
  readonly introspector: SqliteIntrospector;
}

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

/**
 * Every foreign key of the user tables of `db` (not `sqlite_` or `mfmig_` ones), as the schema is
 * now, read by the dialect's introspector (synchronously: a statement watcher reads it between
 * two statements of a migration).
 *
 * @example
 * foreignKeyEdges(conn); // [{ table: 'book', columns: ['author_id'], parent: 'author', onDelete: 'CASCADE' }]
 */
export function foreignKeyEdges(db: SqliteCatalogReader): ForeignKeyEdge[] {
  return db.introspector.foreignKeysSync().map((fk) => ({ table: fk.table, columns: fk.columns, parent: fk.referencedTable, onDelete: fk.onDelete }));
}

/**
 * Child tables by parent (lower-case parent name), with their ON DELETE action. Self-references are left out.
 *
 * @example
 * childTables(foreignKeyEdges(conn)).get('author'); // [{ table: 'book', columns: ['author_id'], parent: 'author', onDelete: 'CASCADE' }]
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
 * danglingForeignKeys(conn); // [{ table: 'book', columns: ['author_id'], parent: '_author_old', onDelete: 'CASCADE' }]
 */
export function danglingForeignKeys(db: SqliteCatalogReader, edges = foreignKeyEdges(db)): ForeignKeyEdge[] {
  const tables = new Set(
    db.introspector
      .tableListSync()
      .filter((t) => t.type === 'table' || t.type === 'virtual')
      .map((t) => sqliteLower(t.name)),
  );
  return edges.filter((edge) => !tables.has(edge.parent.toLowerCase()));
}

/** A name as SQLite's `lower()` gives it: ASCII letters folded, nothing else. */
function sqliteLower(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
