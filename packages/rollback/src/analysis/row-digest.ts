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
  const order = orderBy.length > 0 ? ` ORDER BY ${orderBy.map((c) => (c === 'rowid' ? 'rowid' : quoteIdentifier(c))).join(', ')}` : '';
  let hash = createHash('sha256');
  const rows = await scanExact(conn, columns.map(quoteIdentifier), `FROM ${quoteIdentifier(table)}${order}`, () => {
    hash = createHash('sha256');
    return (values) => hashRow(hash, values);
  });
  return { rows, sha256: hash.digest('hex') };
}

/**
 * A short digest of every row's `columns`, by row key. Comparing the digests taken before and
 * after a down migration tells which rows it deleted or changed.
 */
export async function rowDigests(conn: SqliteConnection, table: string, columns: string[], key: RowKey): Promise<Map<string, string>> {
  let digests = new Map<string, string>();
  await scanExact(
    conn,
    dataExpressions(columns),
    `FROM ${quoteIdentifier(table)}`,
    () => {
      digests = new Map();
      return (values, k) => void digests.set(String(k), digestOf(values));
    },
    keyExpression(key),
  );
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
  let deleted: string[] = [];
  let changed: string[] = [];
  await scanExact(
    conn,
    dataExpressions(columns),
    `FROM ${quoteIdentifier(table)}`,
    () => {
      deleted = [];
      changed = [];
      return (values, key) => {
        const k = String(key);
        const digest = after.get(k);
        if (digest === undefined) deleted.push(k);
        else if (digest !== digestOf(values)) changed.push(k);
      };
    },
    keyExpression(key),
  );
  return { deleted, changed };
}

function dataExpressions(columns: string[]): string[] {
  return columns.length > 0 ? columns.map(quoteIdentifier) : ['NULL'];
}

/** Thrown out of a scan's first pass when a value may be an integer that was rounded. */
const ROUNDED = new Error('an integer beyond 2^53 was read as a number');

/**
 * Streams `SELECT <key>, <expressions> <from>` with integers exact, handing each row's values (in
 * the order of the expressions, whatever the columns are called) and key to the visitor
 * `begin()` makes; returns the number of rows. A JS number rounds an integer beyond 2^53, so two
 * values a down migration told apart (or made equal by rounding them itself) would digest alike:
 * when a row holds a number that may be such an integer, the scan stops and starts again (a new
 * `begin()`), reading each expression also as text when it is an integer beyond 2^53, which is
 * handed on as a bigint. Other values are as read either way, so digests and checksums of rows
 * without such integers are what they always were, and most tables are read once, as fast as
 * they stream.
 */
async function scanExact(
  conn: SqliteConnection,
  expressions: readonly string[],
  from: string,
  begin: () => (values: unknown[], key: unknown) => void,
  key?: string,
): Promise<number> {
  const plain = expressions.map((_, i) => `mfmig_c${i}`);
  const head = key === undefined ? '' : `${key} AS mfmig_key, `;
  const fast = begin();
  try {
    return await conn.forEachRow(`SELECT ${head}${expressions.map((e, i) => `${e} AS ${plain[i]}`).join(', ')} ${from}`, [], (row) => {
      const values = new Array<unknown>(plain.length);
      for (let i = 0; i < plain.length; i++) {
        const value = row[plain[i]!];
        if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) throw ROUNDED;
        values[i] = value;
      }
      fast(values, row.mfmig_key);
    });
  } catch (error) {
    if (error !== ROUNDED) throw error;
  }
  const wide = expressions.map((_, i) => `mfmig_x${i}`);
  const exact = expressions.map(
    (e, i) => `${e} AS ${plain[i]}, CASE WHEN typeof(${e}) = 'integer' AND (${e} > ${SAFE} OR ${e} < -${SAFE}) THEN CAST(${e} AS TEXT) END AS ${wide[i]}`,
  );
  const slow = begin();
  return conn.forEachRow(`SELECT ${head}${exact.join(', ')} ${from}`, [], (row) => {
    const values = new Array<unknown>(plain.length);
    for (let i = 0; i < plain.length; i++) {
      const big = row[wide[i]!];
      values[i] = big === null || big === undefined ? row[plain[i]!] : BigInt(big as string);
    }
    slow(values, row.mfmig_key);
  });
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
