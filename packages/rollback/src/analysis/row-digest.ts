import { createHash } from 'node:crypto';
import { type DatabaseAdapter, exactInteger, quoteIdentifier } from '@mfmig/core';
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
  for (const row of exactRows(adapter, sql, params)) {
    hash.update(jsonOf(row));
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
  for (const row of exactRows(adapter, sql)) {
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
  for (const row of exactRows(adapter, sql)) {
    const k = String(row[0]);
    const digest = after.get(k);
    if (digest === undefined) deleted.push(k);
    else if (digest !== digestOf(row)) changed.push(k);
  }
  return { deleted, changed };
}

function digestOf(row: unknown[]): string {
  return createHash('sha1')
    .update(jsonOf(row.slice(1)))
    .digest('base64');
}

/**
 * A query's rows as arrays, integers exact: a JS number rounds one beyond 2^53, so two values a
 * down migration told apart (or made equal by rounding them itself) would digest alike. Integers
 * below 2^53 stay numbers, so digests and checksums of such rows are what they always were.
 */
function* exactRows(adapter: DatabaseAdapter, sql: string, params: unknown[] = []): Generator<unknown[]> {
  for (const row of adapter
    .prepare(sql)
    .raw()
    .safeIntegers()
    .iterate(...params) as Iterable<unknown[]>) {
    for (let i = 0; i < row.length; i++) if (typeof row[i] === 'bigint') row[i] = exactInteger(row[i]);
    yield row;
  }
}

/** JSON of a row, an integer beyond 2^53 as `{"integer":"<digits>"}` (JSON has no bigint). */
function jsonOf(row: unknown[]): string {
  if (!row.some((value) => typeof value === 'bigint')) return JSON.stringify(row);
  return JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? { integer: value.toString() } : value));
}
