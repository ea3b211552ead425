import { createHash } from 'node:crypto';
import { type SqliteConnection, quoteIdentifier } from '@mfmig/core';
import { type RowKey, keyExpression } from './table-inventory.js';

/** A count and a sha256 over rows, so that two copies of the same rows compare equal. */
export interface RowsChecksum {
  rows: number;
  sha256: string;
}

/** The largest integer a JS number holds exactly (2^53 - 1); one beyond it is read as text and made a bigint. */
const SAFE = '9007199254740991';

/**
 * Count and sha256 of the rows a query returns, each row hashed as a JSON array of its values in
 * column order, integers exact. Order the query (by key) for a stable result. The rows are read
 * whole (as `conn.query` gives them, so columns are told apart by name: alias duplicates); for a
 * whole table, {@link checksumTable} streams them.
 *
 * @example
 * await checksumQuery(conn, 'SELECT id, title FROM kb_entries ORDER BY id');
 */
export async function checksumQuery(conn: SqliteConnection, sql: string, params: unknown[] = []): Promise<RowsChecksum> {
  const hash = createHash('sha256');
  const rows = await conn.query(sql, params);
  for (const row of rows) hashRow(hash, Object.values(row));
  return { rows: rows.length, sha256: hash.digest('hex') };
}

/**
 * Count and sha256 of the given columns of a table, rows ordered by `orderBy`, read one row at a
 * time. The archive and the table it came from give the same checksum when they hold the same
 * rows; the checksum is the one {@link checksumQuery} gives for the same columns and order.
 *
 * @example
 * await checksumTable(conn, 'incidents', ['id', 'title'], ['id']);
 */
export async function checksumTable(conn: SqliteConnection, table: string, columns: string[], orderBy: string[]): Promise<RowsChecksum> {
  const hash = createHash('sha256');
  const order = orderBy.length > 0 ? ` ORDER BY ${orderBy.map((c) => (c === 'rowid' ? 'rowid' : quoteIdentifier(c))).join(', ')}` : '';
  const read = exactColumns(columns.map(quoteIdentifier));
  const rows = await conn.forEachRow(`SELECT ${read.select} FROM ${quoteIdentifier(table)}${order}`, [], (row) => hashRow(hash, read.values(row)));
  return { rows, sha256: hash.digest('hex') };
}

/**
 * A short digest of every row's `columns`, by row key. Comparing the digests taken before and
 * after a down migration tells which rows it deleted or changed.
 */
export async function rowDigests(conn: SqliteConnection, table: string, columns: string[], key: RowKey): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const read = exactColumns(columns.length > 0 ? columns.map(quoteIdentifier) : ['NULL']);
  await conn.forEachRow(`SELECT ${keyExpression(key)} AS mfmig_key, ${read.select} FROM ${quoteIdentifier(table)}`, [], (row) => {
    digests.set(String(row.mfmig_key), digestOf(read.values(row)));
  });
  return digests;
}

/** Keys of rows whose digest differs from `after` (changed) or that are missing there (deleted). */
export async function lostRowKeys(
  conn: SqliteConnection,
  table: string,
  columns: string[],
  key: RowKey,
  after: Map<string, string>,
): Promise<{ deleted: string[]; changed: string[] }> {
  const deleted: string[] = [];
  const changed: string[] = [];
  const read = exactColumns(columns.length > 0 ? columns.map(quoteIdentifier) : ['NULL']);
  await conn.forEachRow(`SELECT ${keyExpression(key)} AS mfmig_key, ${read.select} FROM ${quoteIdentifier(table)}`, [], (row) => {
    const k = String(row.mfmig_key);
    const digest = after.get(k);
    if (digest === undefined) deleted.push(k);
    else if (digest !== digestOf(read.values(row))) changed.push(k);
  });
  return { deleted, changed };
}

/**
 * Reads SQL expressions with integers exact, one row at a time: a JS number rounds an integer
 * beyond 2^53, so two values a down migration told apart (or made equal by rounding them itself)
 * would digest alike. Each expression is read as `mfmig_c<n>`, and again as text in
 * `mfmig_x<n>` when it is an integer beyond 2^53, which `values` gives as a bigint; the others
 * stay as read, so digests and checksums of such rows are what they always were. The aliases also
 * keep the values in the order of the expressions, whatever the columns are called.
 */
function exactColumns(expressions: readonly string[]): { select: string; values(row: Record<string, unknown>): unknown[] } {
  const select = expressions
    .map((e, i) => `${e} AS mfmig_c${i}, CASE WHEN typeof(${e}) = 'integer' AND (${e} > ${SAFE} OR ${e} < -${SAFE}) THEN CAST(${e} AS TEXT) END AS mfmig_x${i}`)
    .join(', ');
  const plain = expressions.map((_, i) => `mfmig_c${i}`);
  const wide = expressions.map((_, i) => `mfmig_x${i}`);
  return {
    select,
    values(row) {
      const out = new Array<unknown>(plain.length);
      for (let i = 0; i < plain.length; i++) {
        const big = row[wide[i]!];
        out[i] = big === null || big === undefined ? row[plain[i]!] : BigInt(big as string);
      }
      return out;
    },
  };
}

function hashRow(hash: ReturnType<typeof createHash>, row: unknown[]): void {
  hash.update(jsonOf(row));
  hash.update('\n');
}

function digestOf(values: unknown[]): string {
  return createHash('sha1').update(jsonOf(values)).digest('base64');
}

/** JSON of a row, an integer beyond 2^53 as `{"integer":"<digits>"}` (JSON has no bigint). */
function jsonOf(row: unknown[]): string {
  if (!row.some((value) => typeof value === 'bigint')) return JSON.stringify(row);
  return JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? { integer: value.toString() } : value));
}
