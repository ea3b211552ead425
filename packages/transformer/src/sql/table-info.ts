import { MfmigError, quoteIdentifier, type SqliteColumnEntry, type SqliteConnection } from '@mfmig/core';

/**
 * Columns of a table, in order (generated and hidden columns left out: nothing writes them).
 * Throws `TRANSFORMATION_FAILED` when the table does not exist.
 *
 * @example
 * (await tableColumns(conn, 'kb_entries')).map((c) => c.name);
 */
export async function tableColumns(conn: SqliteConnection, table: string): Promise<SqliteColumnEntry[]> {
  const columns = (await conn.introspector.columns(table)).filter((c) => c.hidden === 0);
  if (columns.length === 0) {
    throw new MfmigError('TRANSFORMATION_FAILED', `Table ${table} does not exist`, { context: { table } });
  }
  return columns;
}

/**
 * Primary-key columns of a table, in key order (empty for a table keyed by rowid only).
 *
 * @example
 * await primaryKeyColumns(conn, 'kb_tags'); // ['entry_id', 'tag']
 */
export async function primaryKeyColumns(conn: SqliteConnection, table: string): Promise<string[]> {
  return (await tableColumns(conn, table))
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}

/**
 * The column batches page a table on: the given one, else the INTEGER PRIMARY KEY, else
 * `rowid`, else a single-column primary key of a WITHOUT ROWID table. Null when the table
 * has none of these (it is then processed in one piece).
 *
 * @example
 * await batchKeyOf(conn, 'kb_entries'); // 'id'
 */
export async function batchKeyOf(conn: SqliteConnection, table: string, declared?: string): Promise<string | null> {
  const columns = await tableColumns(conn, table);
  if (declared) return declared;
  const pk = columns.filter((c) => c.pk > 0);
  const withoutRowid = !(await hasRowid(conn, table));
  if (pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' && !withoutRowid) return pk[0]!.name;
  if (!withoutRowid) return 'rowid';
  return pk.length === 1 ? pk[0]!.name : null;
}

async function hasRowid(conn: SqliteConnection, table: string): Promise<boolean> {
  try {
    await conn.query(`SELECT rowid FROM ${quoteIdentifier(table)} LIMIT 0`);
    return true;
  } catch {
    return false;
  }
}
