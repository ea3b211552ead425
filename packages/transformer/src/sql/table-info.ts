import { MfmigError, quoteIdentifier, type DatabaseAdapter, type TableColumn } from '@mfmig/core';

/**
 * Columns of a table, in order. Throws `TRANSFORMATION_FAILED` when the table does not exist.
 *
 * @example
 * tableColumns(db, 'kb_entries').map((c) => c.name);
 */
export function tableColumns(db: DatabaseAdapter, table: string): TableColumn[] {
  const columns = db.columnsOf(table);
  if (columns.length === 0) {
    throw new MfmigError('TRANSFORMATION_FAILED', `Table ${table} does not exist`, { context: { table } });
  }
  return columns;
}

/**
 * Primary-key columns of a table, in key order (empty for a table keyed by rowid only).
 *
 * @example
 * primaryKeyColumns(db, 'kb_tags'); // ['entry_id', 'tag']
 */
export function primaryKeyColumns(db: DatabaseAdapter, table: string): string[] {
  return tableColumns(db, table)
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
 * batchKeyOf(db, 'kb_entries'); // 'id'
 */
export function batchKeyOf(db: DatabaseAdapter, table: string, declared?: string): string | null {
  const columns = tableColumns(db, table);
  if (declared) return declared;
  const pk = columns.filter((c) => c.pk > 0);
  const withoutRowid = !hasRowid(db, table);
  if (pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' && !withoutRowid) return pk[0]!.name;
  if (!withoutRowid) return 'rowid';
  return pk.length === 1 ? pk[0]!.name : null;
}

function hasRowid(db: DatabaseAdapter, table: string): boolean {
  try {
    db.prepare(`SELECT rowid FROM ${quoteIdentifier(table)} LIMIT 0`);
    return true;
  } catch {
    return false;
  }
}
