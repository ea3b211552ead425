/** The storage class SQLite derives from a declared column type. */
export type ColumnAffinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

/** `NO ACTION`, `CASCADE`, `SET NULL`, `SET DEFAULT` or `RESTRICT`. */
export type ForeignKeyAction = 'NO ACTION' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT' | 'RESTRICT';

/** One column of a table. Expressions are in canonical form (see `canonicalSql`). */
export interface ColumnSnapshot {
  name: string;
  /** Declared type, upper-cased, spaces normalised (`VARCHAR(255)`); empty when none. */
  type: string;
  affinity: ColumnAffinity;
  notNull: boolean;
  /** Canonical default expression, or null when none. */
  defaultValue: string | null;
  /** 1-based position in the primary key, 0 when not part of it. */
  primaryKey: number;
  autoincrement: boolean;
  /** Collating sequence (`nocase`), or null for the default. */
  collation: string | null;
  /** Generated column: its canonical expression and whether it is stored. */
  generated: { expression: string; stored: boolean } | null;
}

/** A foreign key of a table. */
export interface ForeignKeySnapshot {
  columns: string[];
  referencedTable: string;
  /** Empty when the key references the parent's primary key implicitly. */
  referencedColumns: string[];
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
  deferred: boolean;
}

/** A table (or a virtual table). */
export interface TableSnapshot {
  type: 'table';
  name: string;
  virtual: boolean;
  /** Module and canonical arguments of a virtual table (`fts5(body)`), null otherwise. */
  module: string | null;
  withoutRowid: boolean;
  strict: boolean;
  columns: ColumnSnapshot[];
  /** Primary key columns in key order (empty: rowid only). */
  primaryKey: string[];
  /** UNIQUE constraints (column-level ones included), each as its canonical column list. */
  uniqueConstraints: string[][];
  /** CHECK constraints, canonical, in declaration order. */
  checks: string[];
  foreignKeys: ForeignKeySnapshot[];
  /** The SQL as stored in `sqlite_schema` (not part of the hash). */
  sql: string;
}

/** One key part of an index: a column name or an expression. */
export interface IndexColumnSnapshot {
  /** Column name, or the canonical expression for expression indexes. */
  expression: string;
  isExpression: boolean;
  descending: boolean;
  collation: string | null;
}

/** An index created with CREATE INDEX (constraint indexes live in their table). */
export interface IndexSnapshot {
  type: 'index';
  name: string;
  table: string;
  unique: boolean;
  columns: IndexColumnSnapshot[];
  /** Canonical WHERE clause of a partial index, or null. */
  where: string | null;
  sql: string;
}

/** A view. */
export interface ViewSnapshot {
  type: 'view';
  name: string;
  /** Declared column names (`CREATE VIEW v(a, b) AS`), empty when none. */
  columns: string[];
  /** Canonical SELECT. */
  definition: string;
  sql: string;
}

/** A trigger. */
export interface TriggerSnapshot {
  type: 'trigger';
  name: string;
  table: string;
  timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  event: 'INSERT' | 'UPDATE' | 'DELETE';
  /** Canonical text from the timing to the end. */
  definition: string;
  sql: string;
}

/** Any schema object. */
export type SchemaObject = TableSnapshot | IndexSnapshot | ViewSnapshot | TriggerSnapshot;

/** A normalised description of a database schema (user objects only; no `sqlite_` or `mfmig_` objects). */
export interface SchemaSnapshot {
  /** Format of this structure; bumped when the hash input changes. */
  format: 1;
  /** Stable hash: same schema, same hash (whitespace, comments, keyword case and quoting do not count). */
  hash: string;
  tables: TableSnapshot[];
  indexes: IndexSnapshot[];
  views: ViewSnapshot[];
  triggers: TriggerSnapshot[];
}

/**
 * The key of an object in a snapshot: `table:kb_entries`.
 *
 * @example
 * objectKey({ type: 'table', name: 'kb_entries' }); // 'table:kb_entries'
 */
export function objectKey(object: Pick<SchemaObject, 'type' | 'name'>): string {
  return `${object.type}:${object.name}`;
}

/**
 * Every object of a snapshot, tables first.
 *
 * @example
 * allObjects(snapshot).map(objectKey); // ['table:kb_entries', 'index:idx_kb_tags_tag', ...]
 */
export function allObjects(snapshot: SchemaSnapshot): SchemaObject[] {
  return [...snapshot.tables, ...snapshot.indexes, ...snapshot.views, ...snapshot.triggers];
}
