import type { DialectConnection, TableInfo } from '@mfmig/core';
import { runLenient } from '../sql/legacy-strings.js';
import { MfmigError, quoteIdentifier } from '@mfmig/core';

const NUMERIC_TEXT = /^-?\d+(?:\.\d+)?$/;

/**
 * A value as a validation compares it: PostgreSQL's `bigint` and `numeric` arrive as text
 * (`count(*)` is `'42'`), so numeric text becomes a number; anything else is kept.
 *
 * @example
 * plainValue('42'); // 42
 * plainValue('KB-1'); // 'KB-1'
 */
export function plainValue(value: unknown): unknown {
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return value ?? null;
}

/**
 * The first column of the first row a query returns (null when it returns none), as
 * {@link plainValue} makes it.
 *
 * @example
 * await scalarOf(conn, 'SELECT count(*) FROM incidents'); // 100
 */
export async function scalarOf(conn: DialectConnection, sql: string, params: readonly unknown[] = []): Promise<unknown> {
  const rows = await runLenient(sql, (text) => conn.query(text, params));
  const first = rows[0];
  if (first === undefined) return null;
  return plainValue(Object.values(first)[0]);
}

/**
 * The rows of a table now.
 *
 * @example
 * await countRows(conn, 'Order Lines'); // 2500
 */
export async function countRows(conn: DialectConnection, table: string): Promise<number> {
  return Number(await scalarOf(conn, `SELECT count(*) FROM ${quoteIdentifier(table)}`));
}

/**
 * Whether a table holds more than `limit` rows; false when it does not exist (so that no failing
 * query aborts the caller's transaction). Reads at most `limit + 1` rows, not the whole table.
 *
 * @example
 * await hasMoreRowsThan(conn, 'kb_entries', 10_000); // true for 50,000 rows, false when the table is missing
 */
export async function hasMoreRowsThan(conn: DialectConnection, table: string, limit: number): Promise<boolean> {
  if (!(await conn.introspector.table(table))) return false;
  return readsMoreRowsThan(conn, table, limit);
}

/**
 * Whether `source` (any name a query can read from: a table, a view, a TEMP table) yields more
 * than `limit` rows, reading at most `limit + 1`. A missing source fails the query.
 *
 * @example
 * await readsMoreRowsThan(conn, 'recent_entries', 10_000); // a view counts as a table does
 */
export async function readsMoreRowsThan(conn: DialectConnection, source: string, limit: number): Promise<boolean> {
  if (limit < 0) return true;
  const n = Math.floor(limit);
  return Number(await scalarOf(conn, `SELECT count(*) FROM (SELECT 1 FROM ${quoteIdentifier(source)} LIMIT ${n + 1}) AS head`)) > n;
}

/**
 * A table a transformation needs, as the catalogs describe it; `TRANSFORMATION_INVALID` naming
 * the transformation when it does not exist.
 *
 * @example
 * const info = await requireTable(conn, 'incidents', 'kb_to_incident_mapping', 'target');
 */
export async function requireTable(conn: DialectConnection, table: string, transformationId: string, role: 'source' | 'target'): Promise<TableInfo> {
  const info = await conn.introspector.table(table);
  if (!info) {
    throw new MfmigError('TRANSFORMATION_INVALID', `Transformation ${transformationId}: its ${role} table ${table} does not exist`, {
      context: { transformation: transformationId, table },
    });
  }
  return info;
}
