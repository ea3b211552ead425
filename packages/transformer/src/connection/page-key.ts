import type { DialectConnection } from '@mfmig/core';
import { quoteIdentifier } from '@mfmig/core';

/** The aliases a page query gives the key it pages by, and (on SQLite) the key's type. */
const KEY = 'mfmig$page_key';
const KEY_TYPE = 'mfmig$page_key_type';

/**
 * How a row function's pages carry their key exactly from one query to the next. PostgreSQL's
 * key comes back as text, exact for any type (a JS Date would lose microseconds), and the server
 * reads the text parameter as the key's type. SQLite compares a text parameter with a column of
 * no declared type as text, so its key is bound as its own value: an integer travels as text and
 * is bound as a bigint (a JS number is exact only below 2^53), anything else as it is.
 *
 * @example
 * const key = pageKey(conn, '"id"');
 * const rows = await conn.query(`SELECT *, ${key.columns} FROM t ORDER BY "id" LIMIT 100`);
 * const after = key.take(rows.at(-1)!); // the last key, removed from the row with its helper columns
 */
export function pageKey(conn: DialectConnection, expression: string): { columns: string; take(row: Record<string, unknown>): unknown } {
  if (conn.dialect === 'postgres') {
    return {
      columns: `CAST(${expression} AS TEXT) AS ${quoteIdentifier(KEY)}`,
      take(row) {
        const value = row[KEY];
        delete row[KEY];
        return value;
      },
    };
  }
  return {
    columns: `CASE WHEN typeof(${expression}) = 'integer' THEN CAST(${expression} AS TEXT) ELSE ${expression} END AS ${quoteIdentifier(KEY)}, typeof(${expression}) AS ${quoteIdentifier(KEY_TYPE)}`,
    take(row) {
      const value = row[KEY];
      const integer = row[KEY_TYPE] === 'integer';
      delete row[KEY];
      delete row[KEY_TYPE];
      return integer ? BigInt(String(value)) : value;
    },
  };
}
