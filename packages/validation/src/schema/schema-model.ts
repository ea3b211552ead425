import type { DatabaseAdapter } from '@mfmig/core';

/** A column as `PRAGMA table_xinfo` describes it. */
export interface ColumnInfo {
  name: string;
  type: string;
  notNull: boolean;
  defaultValue: string | null;
  /** Position in the primary key (1-based), 0 when not part of it. */
  pk: number;
  /** 0 normal, 1 hidden (virtual tables), 2/3 generated. */
  hidden: number;
}

/** One foreign key of a table (possibly over several columns). */
export interface ForeignKeyInfo {
  id: number;
  parent: string;
  from: string[];
  /** Parent columns; null entries mean "the parent's primary key". */
  to: (string | null)[];
  onDelete: string;
  onUpdate: string;
}

/** An index, named or automatic (`sqlite_autoindex_*` for UNIQUE and PRIMARY KEY constraints). */
export interface IndexInfo {
  name: string;
  table: string;
  unique: boolean;
  /** `c` CREATE INDEX, `u` UNIQUE constraint, `pk` PRIMARY KEY constraint. */
  origin: string;
  partial: boolean;
  /** Key columns in order; `<expr>` for an expression, `<rowid>` for the rowid. */
  columns: string[];
  /** `name COLLATE x DESC` per key column, to tell indexes over the same columns apart. */
  keys: string[];
  /** The WHERE clause of a partial index, normalised. */
  where: string | null;
  sql: string | null;
}

/** A table with its columns, foreign keys and indexes. */
export interface TableInfo {
  name: string;
  withoutRowid: boolean;
  sql: string;
  columns: ColumnInfo[];
  foreignKeys: ForeignKeyInfo[];
  indexes: IndexInfo[];
}

/** The user schema of a database: tables, views and triggers (no `sqlite_` or `mfmig_` objects). */
export interface SchemaModel {
  tables: Map<string, TableInfo>;
  views: Map<string, { name: string; sql: string }>;
  triggers: Map<string, { name: string; table: string; sql: string }>;
  /** Root page of every b-tree (bookkeeping ones included) to its table or index name. */
  rootPages: Map<number, string>;
}

/** True for names of objects that belong to SQLite or to mfmig's bookkeeping. */
export function isInternalName(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('mfmig_');
}

/** Collapses whitespace and case, for comparing SQL text. */
export function normaliseSql(sql: string | null): string {
  return (sql ?? '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim()
    .toLowerCase();
}

/**
 * Reads the user schema through the catalog (sqlite_schema and table-valued pragmas). Reads
 * only the catalog, so it costs milliseconds whatever the data size.
 *
 * @example
 * const schema = readSchemaModel(adapter);
 * schema.tables.get('kb_entries')?.columns.map((c) => c.name);
 */
export function readSchemaModel(db: DatabaseAdapter): SchemaModel {
  const objects = db.all<{ type: string; name: string; tableName: string; rootpage: number | null; sql: string | null }>(
    "SELECT type, name, tbl_name AS tableName, rootpage, sql FROM sqlite_schema WHERE type IN ('table', 'view', 'trigger', 'index')",
  );
  const rootPages = new Map<number, string>([[1, 'sqlite_schema']]);
  for (const o of objects) if (o.rootpage) rootPages.set(Number(o.rootpage), o.name);
  const withoutRowid = new Set(db.column<string>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND wr = 1"));
  const tables = new Map<string, TableInfo>();
  const views = new Map<string, { name: string; sql: string }>();
  const triggers = new Map<string, { name: string; table: string; sql: string }>();
  for (const o of objects) {
    if (isInternalName(o.name) || isInternalName(o.tableName)) continue;
    if (o.type === 'table' && !/^create virtual/i.test(o.sql ?? '')) {
      tables.set(o.name, {
        name: o.name,
        withoutRowid: withoutRowid.has(o.name),
        sql: o.sql ?? '',
        columns: readColumns(db, o.name),
        foreignKeys: readForeignKeys(db, o.name),
        indexes: readIndexes(db, o.name),
      });
    } else if (o.type === 'view') views.set(o.name, { name: o.name, sql: o.sql ?? '' });
    else if (o.type === 'trigger') triggers.set(o.name, { name: o.name, table: o.tableName, sql: o.sql ?? '' });
  }
  return { tables, views, triggers, rootPages };
}

function readColumns(db: DatabaseAdapter, table: string): ColumnInfo[] {
  const rows = db.all<{ name: string; type: string; nn: number; dflt: string | null; pk: number; hidden: number }>(
    'SELECT name, type, "notnull" AS nn, dflt_value AS dflt, pk, hidden FROM pragma_table_xinfo(?)',
    [table],
  );
  return rows.map((r) => ({ name: r.name, type: r.type, notNull: r.nn === 1, defaultValue: r.dflt, pk: Number(r.pk), hidden: Number(r.hidden) }));
}

function readForeignKeys(db: DatabaseAdapter, table: string): ForeignKeyInfo[] {
  const rows = db.all<{ id: number; seq: number; parent: string; src: string; dst: string | null; on_update: string; on_delete: string }>(
    'SELECT id, seq, "table" AS parent, "from" AS src, "to" AS dst, on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq',
    [table],
  );
  const byId = new Map<number, ForeignKeyInfo>();
  for (const r of rows) {
    let fk = byId.get(r.id);
    if (!fk) byId.set(r.id, (fk = { id: r.id, parent: r.parent, from: [], to: [], onDelete: r.on_delete, onUpdate: r.on_update }));
    fk.from.push(r.src);
    fk.to.push(r.dst);
  }
  return [...byId.values()];
}

function readIndexes(db: DatabaseAdapter, table: string): IndexInfo[] {
  const list = db.all<{ name: string; uq: number; origin: string; partial: number }>('SELECT name, "unique" AS uq, origin, partial FROM pragma_index_list(?)', [
    table,
  ]);
  const sqlOf = (name: string) => db.value<string | null>("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", [name]);
  const keysOf = db.prepare('SELECT cid, name, "desc" AS descending, coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno');
  return list.map((i) => {
    const keys = keysOf.all(i.name) as { cid: number; name: string | null; descending: number; coll: string }[];
    const columns = keys.map((k) => (k.cid === -2 ? '<expr>' : k.cid === -1 ? '<rowid>' : k.name!));
    const sql = sqlOf(i.name) ?? null;
    const where = i.partial === 1 && sql ? normaliseSql(/\bwhere\b([\s\S]*)$/i.exec(sql)?.[1] ?? '') : null;
    return {
      name: i.name,
      table,
      unique: i.uq === 1,
      origin: i.origin,
      partial: i.partial === 1,
      columns,
      keys: keys.map((k, n) => `${columns[n]} COLLATE ${k.coll}${k.descending ? ' DESC' : ''}`),
      where,
      sql,
    };
  });
}

/** A table by name, the way SQLite resolves names (case-insensitively). */
export function findTable(schema: SchemaModel, name: string): TableInfo | undefined {
  const exact = schema.tables.get(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const table of schema.tables.values()) if (table.name.toLowerCase() === lower) return table;
  return undefined;
}
