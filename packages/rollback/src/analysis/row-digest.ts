import { createHash } from 'node:crypto';
import { type DatabaseAdapter, quoteIdentifier } from '@mfmig/core';
import { type RowKey, keyExpression } from './table-inventory.js';

/** A count and a sha256 over rows, so that two copies of the same rows compare equal. */
export interface RowsChecksum {
  rows: number;
  sha256: string;
}

/**
 * Count and sha256 of the rows a query returns, each row hashed as a JSON array in query order.
 * Order the query (by key) for a stable result.
 *
 * @example
 * checksumQuery(adapter, 'SELECT id, title FROM kb_entries ORDER BY id');
 */
export function checksumQuery(adapter: DatabaseAdapter, sql: string, params: unknown[] = []): RowsChecksum {
  const hash = createHash('sha256');
  let rows = 0;
  for (const row of adapter
    .prepare(sql)
    .raw()
    .iterate(...params) as Iterable<unknown[]>) {
    hash.update(JSON.stringify(row));
    hash.update('\n');
    rows++;
  }
  return { rows, sha256: hash.digest('hex') };
}

/**
 * Count and sha256 of the given columns of a table, rows ordered by `orderBy`. The archive and
 * the table it came from give the same checksum when they hold the same rows.
 *
 * @example
 * checksumTable(adapter, 'incidents', ['id', 'title'], ['id']);
 */
export function checksumTable(adapter: DatabaseAdapter, table: string, columns: string[], orderBy: string[]): RowsChecksum {
  const cols = columns.map(quoteIdentifier).join(', ');
  const order = orderBy.length > 0 ? ` ORDER BY ${orderBy.map((c) => (c === 'rowid' ? 'rowid' : quoteIdentifier(c))).join(', ')}` : '';
  return checksumQuery(adapter, `SELECT ${cols} FROM ${quoteIdentifier(table)}${order}`);
}

/**
 * A short digest of every row's `columns`, by row key. Comparing the digests taken before and
 * after a down migration tells which rows it deleted or changed.
 */
export function rowDigests(adapter: DatabaseAdapter, table: string, columns: string[], key: RowKey): Map<string, string> {
  const digests = new Map<string, string>();
  const cols = columns.length > 0 ? columns.map(quoteIdentifier).join(', ') : 'NULL';
  const sql = `SELECT ${keyExpression(key)}, ${cols} FROM ${quoteIdentifier(table)}`;
  for (const row of adapter.prepare(sql).raw().iterate() as Iterable<unknown[]>) {
    digests.set(String(row[0]), digestOf(row));
  }
  return digests;
}

/** Keys of rows whose digest differs from `after` (changed) or that are missing there (deleted). */
export function lostRowKeys(
  adapter: DatabaseAdapter,
  table: string,
  columns: string[],
  key: RowKey,
  after: Map<string, string>,
): { deleted: string[]; changed: string[] } {
  const deleted: string[] = [];
  const changed: string[] = [];
  const cols = columns.length > 0 ? columns.map(quoteIdentifier).join(', ') : 'NULL';
  const sql = `SELECT ${keyExpression(key)}, ${cols} FROM ${quoteIdentifier(table)}`;
  for (const row of adapter.prepare(sql).raw().iterate() as Iterable<unknown[]>) {
    const k = String(row[0]);
    const digest = after.get(k);
    if (digest === undefined) deleted.push(k);
    else if (digest !== digestOf(row)) changed.push(k);
  }
  return { deleted, changed };
}

function digestOf(row: unknown[]): string {
  return createHash('sha1')
    .update(JSON.stringify(row.slice(1)))
    .digest('base64');
}
