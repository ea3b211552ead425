/**
 * One row of `sqlite_schema`, as SQLite stores it (column names included).
 *
 * @example
 * const row: SqliteSchemaRow = { rowid: 1, type: 'table', name: 'kb_tags', tbl_name: 'kb_tags', rootpage: 2, sql: 'CREATE TABLE kb_tags (tag TEXT)' };
 */
export interface SqliteSchemaRow {
  rowid: number;
  /** `table` (virtual tables included), `index`, `view` or `trigger`. */
  type: string;
  name: string;
  /** The table an index or trigger belongs to; the object's own name for a table or view. */
  tbl_name: string;
  /** The b-tree's first page; 0 for views, triggers and virtual tables. */
  rootpage: number;
  /** The statement that created it; null for an index SQLite made for a constraint. */
  sql: string | null;
}

/**
 * Which rows of `sqlite_schema` {@link SqliteIntrospector.catalogSync} reads: every one unless
 * narrowed. Names are matched as SQLite matches them (ASCII letters in any case); a caller that
 * wants one spelling compares `name` itself.
 *
 * @example
 * const query: SqliteCatalogQuery = { type: 'index', table: 'kb_tags' };
 */
export interface SqliteCatalogQuery {
  /** Only rows with a rowid above this one (rows added since a read that ended there). */
  afterRowid?: number;
  /** Only objects of this type: `table`, `index`, `view` or `trigger`. */
  type?: string;
  /** Only the object(s) of this name (a table and a trigger may share one). */
  name?: string;
  /** Only the table or view of this name and the indexes and triggers on it (`tbl_name`). */
  table?: string;
}

/**
 * A table or view of the main schema, as `pragma_table_list` reports it.
 *
 * @example
 * const entry: SqliteTableListEntry = { name: 'kb_tags', type: 'table', columnCount: 2, withoutRowid: true, strict: false };
 */
export interface SqliteTableListEntry {
  name: string;
  /** `table`, `view`, `virtual`, or `shadow` (a table a virtual table keeps its data in). */
  type: string;
  columnCount: number;
  withoutRowid: boolean;
  strict: boolean;
}

/**
 * A column as `pragma_table_xinfo` reports it (hidden and generated ones included).
 *
 * @example
 * const column: SqliteColumnEntry = { cid: 0, name: 'id', type: 'INTEGER', notNull: false, defaultSql: null, pk: 1, hidden: 0 };
 */
export interface SqliteColumnEntry {
  cid: number;
  name: string;
  /** The declared type, as written (empty when none). */
  type: string;
  notNull: boolean;
  /** The default expression as written, or null. */
  defaultSql: string | null;
  /** 1-based position in the primary key; 0 when not part of it. */
  pk: number;
  /** 0 a plain column, 1 hidden (a virtual table's), 2 generated VIRTUAL, 3 generated STORED. */
  hidden: number;
}

/**
 * One foreign key of a table (over one or more columns), as `pragma_foreign_key_list` reports it.
 *
 * @example
 * const fk: SqliteForeignKey = { id: 0, parent: 'kb_entries', from: ['entry_id'], to: [null], onUpdate: 'CASCADE', onDelete: 'CASCADE', match: 'NONE' };
 */
export interface SqliteForeignKey {
  /** SQLite's number for the key within its table (keys have no name). */
  id: number;
  /** The parent table, as the statement spells it. */
  parent: string;
  from: string[];
  /** Parent columns; null when the statement names none (the parent's primary key). */
  to: (string | null)[];
  onUpdate: string;
  onDelete: string;
  /** Always `NONE`: SQLite parses a MATCH clause and ignores it. */
  match: string;
}

/**
 * One key column of an index, as `pragma_index_xinfo` reports it.
 *
 * @example
 * const key: SqliteIndexKey = { cid: 1, name: 'title', descending: true, collation: 'NOCASE' };
 */
export interface SqliteIndexKey {
  /** The table column's number; -1 the rowid, -2 an expression. */
  cid: number;
  /** The column's name; null for the rowid or an expression. */
  name: string | null;
  descending: boolean;
  collation: string;
}

/**
 * One column of an index, as `pragma_index_xinfo` reports it: a key column, or one SQLite
 * appends to find the row (the rowid, or the primary key of a WITHOUT ROWID table).
 *
 * @example
 * const column: SqliteIndexColumn = { cid: -1, name: null, descending: false, collation: 'BINARY', key: false };
 */
export interface SqliteIndexColumn extends SqliteIndexKey {
  /** True for a key column, false for one appended to find the row. */
  key: boolean;
}

/**
 * An index of a table, as `pragma_index_list` reports it, with its statement and key columns.
 *
 * @example
 * const index: SqliteIndex = { name: 'idx_tag', unique: false, origin: 'c', partial: true, sql: 'CREATE INDEX idx_tag ON kb_tags(tag) WHERE tag <> \'\'', keys: [] };
 */
export interface SqliteIndex {
  name: string;
  unique: boolean;
  /** `c` CREATE INDEX, `u` a UNIQUE constraint, `pk` a PRIMARY KEY constraint. */
  origin: string;
  partial: boolean;
  /** The CREATE INDEX statement; null for an index SQLite made for a constraint. */
  sql: string | null;
  /** Key columns in order (not the columns SQLite appends to find the row: the rowid or the primary key). */
  keys: SqliteIndexKey[];
}

/**
 * The file's page counts: constant-time reads of the database header.
 *
 * @example
 * const storage: SqliteStorage = { pageSize: 4096, pageCount: 250, freelistCount: 3 };
 */
export interface SqliteStorage {
  pageSize: number;
  pageCount: number;
  /** Pages on the free list (left by deletes, reused before the file grows). */
  freelistCount: number;
}
