import { type SqliteConnection, type SqliteIntrospector, quoteIdentifier } from '@mfmig/core';

/** One column as `PRAGMA table_xinfo` reports it. */
export interface ColumnInfo {
  name: string;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  /** Position in the primary key (1-based), 0 when not part of it. */
  pk: number;
  /** Generated (virtual or stored) columns cannot be inserted into. */
  generated: boolean;
}

/** A user table of the database, with what archiving and restoring need. */
export interface TableInfo {
  name: string;
  kind: 'table' | 'virtual';
  withoutRowid: boolean;
  rootpage: number;
  columns: ColumnInfo[];
  rowCount: number;
}

/** How rows of a table are told apart: its declared primary key, or the rowid when it has none. */
export interface RowKey {
  kind: 'pk' | 'rowid';
  columns: string[];
}

/**
 * The user tables (not `sqlite_*`, not `mfmig_*`, not the shadow tables of virtual tables) with
 * their columns, root page and row count (one `count(*)` a table; {@link tableShapes} has no counts).
 *
 * @example
 * const tables = await tableInventory(conn);
 * tables.get('kb_entries')?.rowCount;
 */
export async function tableInventory(conn: SqliteConnection): Promise<Map<string, TableInfo>> {
  const tables = tableShapes(conn.introspector);
  for (const table of tables.values()) {
    if (table.kind !== 'table') continue;
    const [row] = await conn.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${quoteIdentifier(table.name)}`);
    table.rowCount = Number(row?.n ?? 0);
  }
  return tables;
}

/**
 * The user tables as {@link tableInventory} lists them, from the catalog alone: every row count
 * is 0. For code that reads the shape of the schema and not its rows.
 *
 * @example
 * tableShapes(conn.introspector).get('kb_entries')?.columns.map((c) => c.name);
 */
export function tableShapes(catalog: SqliteIntrospector): Map<string, TableInfo> {
  const roots = new Map(
    catalog
      .catalogSync()
      .filter((r) => r.type === 'table')
      .map((r) => [r.name, r.rootpage]),
  );
  const tables = new Map<string, TableInfo>();
  for (const entry of catalog.tableListSync()) {
    if (entry.type !== 'table' && entry.type !== 'virtual') continue;
    if (entry.name.startsWith('sqlite_') || entry.name.startsWith('mfmig_')) continue;
    const columns = catalog
      .columnsSync(entry.name, { schema: 'main' })
      .filter((c) => c.hidden !== 1)
      .map((c) => ({
        name: c.name,
        type: c.type,
        notNull: c.notNull,
        hasDefault: c.defaultSql !== null,
        pk: c.pk,
        generated: c.hidden === 2 || c.hidden === 3,
      }));
    tables.set(entry.name, {
      name: entry.name,
      kind: entry.type as 'table' | 'virtual',
      withoutRowid: entry.withoutRowid,
      rootpage: roots.get(entry.name) ?? 0,
      columns,
      rowCount: 0,
    });
  }
  return tables;
}

/** The columns that hold data (not generated). */
export function dataColumns(table: TableInfo): string[] {
  return table.columns.filter((c) => !c.generated).map((c) => c.name);
}

/** The key that identifies a row of `table` across a rebuild: the declared primary key, else the rowid. */
export function rowKeyOf(table: TableInfo): RowKey {
  const pk = table.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  if (pk.length > 0) return { kind: 'pk', columns: pk.map((c) => c.name) };
  return { kind: 'rowid', columns: ['rowid'] };
}

/** SQL text of one row's key, comparable across connections and rebuilds (`quote()` keeps types apart). */
export function keyExpression(key: RowKey, alias?: string): string {
  const prefix = alias ? `${quoteIdentifier(alias)}.` : '';
  const parts = key.columns.map((c) => `quote(${c === 'rowid' && key.kind === 'rowid' ? `${prefix}rowid` : `${prefix}${quoteIdentifier(c)}`})`);
  return parts.join(" || ',' || ");
}
