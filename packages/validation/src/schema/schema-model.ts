import type { SqliteConnection, SqliteIntrospector } from '@mfmig/core';

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
 * Reads the user schema through the catalog (core's SQLite introspector: `sqlite_schema` and
 * the table pragmas). Reads only the catalog, so it costs milliseconds whatever the data size.
 *
 * @example
 * const schema = await readSchemaModel(conn);
 * schema.tables.get('kb_entries')?.columns.map((c) => c.name);
 */
export async function readSchemaModel(db: SqliteConnection): Promise<SchemaModel> {
  const catalog = db.introspector;
  const objects = await catalog.catalog();
  const rootPages = new Map<number, string>([[1, 'sqlite_schema']]);
  for (const o of objects) if (o.rootpage) rootPages.set(Number(o.rootpage), o.name);
  const withoutRowid = new Set((await catalog.tableList()).filter((t) => t.withoutRowid).map((t) => t.name));
  const tables = new Map<string, TableInfo>();
  const views = new Map<string, { name: string; sql: string }>();
  const triggers = new Map<string, { name: string; table: string; sql: string }>();
  for (const o of objects) {
    if (isInternalName(o.name) || isInternalName(o.tbl_name)) continue;
    if (o.type === 'table' && !/^create virtual/i.test(o.sql ?? '')) {
      tables.set(o.name, {
        name: o.name,
        withoutRowid: withoutRowid.has(o.name),
        sql: o.sql ?? '',
        columns: await readColumns(catalog, o.name),
        foreignKeys: await readForeignKeys(catalog, o.name),
        indexes: await readIndexes(catalog, o.name),
      });
    } else if (o.type === 'view') views.set(o.name, { name: o.name, sql: o.sql ?? '' });
    else if (o.type === 'trigger') triggers.set(o.name, { name: o.name, table: o.tbl_name, sql: o.sql ?? '' });
  }
  return { tables, views, triggers, rootPages };
}

async function readColumns(catalog: SqliteIntrospector, table: string): Promise<ColumnInfo[]> {
  return (await catalog.columns(table)).map((c) => ({
    name: c.name,
    type: c.type,
    notNull: c.notNull,
    defaultValue: c.defaultSql,
    pk: c.pk,
    hidden: c.hidden,
  }));
}

async function readForeignKeys(catalog: SqliteIntrospector, table: string): Promise<ForeignKeyInfo[]> {
  return (await catalog.foreignKeyList(table)).map((fk) => ({
    id: fk.id,
    parent: fk.parent,
    from: fk.from,
    to: fk.to,
    onDelete: fk.onDelete,
    onUpdate: fk.onUpdate,
  }));
}

async function readIndexes(catalog: SqliteIntrospector, table: string): Promise<IndexInfo[]> {
  return (await catalog.indexList(table)).map((i) => {
    const columns = i.keys.map((k) => (k.cid === -2 ? '<expr>' : k.cid === -1 ? '<rowid>' : k.name!));
    const where = i.partial && i.sql ? normaliseSql(/\bwhere\b([\s\S]*)$/i.exec(i.sql)?.[1] ?? '') : null;
    return {
      name: i.name,
      table,
      unique: i.unique,
      origin: i.origin,
      partial: i.partial,
      columns,
      keys: i.keys.map((k, n) => `${columns[n]} COLLATE ${k.collation}${k.descending ? ' DESC' : ''}`),
      where,
      sql: i.sql,
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
