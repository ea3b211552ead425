import { BATCH_END_PARAM, BATCH_START_PARAM, type SqliteConnection, usesBatchParams } from '@mfmig/core';
import type { Row } from '../declaration/data-transformation.js';
import { countRows, scalarOf } from '../connection/connection-queries.js';
import { countQueryFor } from '../sql/count-query.js';
import { KeyBounds } from './key-bounds.js';
import { type PreparedUnit, pageSql } from './prepared-unit.js';
import type { ResultCounts } from './result-builder.js';
import { transformationError } from './statement-runner.js';

/**
 * Counts what a unit would do without writing anything: source rows it reads, and rows it
 * would write (`INSERT ... SELECT` counts its SELECT, UPDATE/DELETE their WHERE, a row
 * function is run over the source and its output counted). `rowsWritten` is null when the
 * SQL cannot be counted that way.
 *
 * @example
 * (await countUnit(conn, prepared)).rowsWritten; // 3000
 */
export async function countUnit(conn: SqliteConnection, p: PreparedUnit): Promise<ResultCounts> {
  const start = performance.now();
  const rowsRead = (await conn.hasTable(p.t.sourceTable)) ? await countRows(conn, p.t.sourceTable) : 0;
  const rowsWritten = p.rowFn ? await countRowFunction(conn, p) : await countStatements(conn, p.statements, p.key ? await fullRange(conn, p) : null, p.unit.id);
  return { rowsRead, rowsWritten, batches: 0, durationMs: performance.now() - start };
}

/**
 * Counts the rows a list of data statements would touch, or null when one cannot be counted.
 *
 * @example
 * await countStatements(conn, ["DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'"], null, 'reverse'); // 3000
 */
export async function countStatements(
  conn: SqliteConnection,
  statements: string[],
  range: { start: unknown; end: unknown } | null,
  id: string,
): Promise<number | null> {
  let total = 0;
  for (const statement of statements) {
    const query = countQueryFor(statement);
    if (query === null) return null;
    try {
      const params = range && usesBatchParams(query) ? [{ [BATCH_START_PARAM]: range.start, [BATCH_END_PARAM]: range.end }] : [];
      total += Number((await scalarOf(conn, query, params)) ?? 0);
    } catch (error) {
      throw transformationError(error, id, statement);
    }
  }
  return total;
}

async function fullRange(conn: SqliteConnection, p: PreparedUnit): Promise<{ start: unknown; end: unknown }> {
  const bounds = new KeyBounds(conn, p.t.sourceTable, p.key!);
  return { start: await bounds.before(), end: await bounds.max() };
}

async function countRowFunction(conn: SqliteConnection, p: PreparedUnit): Promise<number> {
  if (!p.key) return countRows(conn, p.t.sourceTable);
  const bounds = new KeyBounds(conn, p.t.sourceTable, p.key);
  const end = await bounds.max();
  if (end === null) return 0;
  const sql = pageSql(p);
  let after = await bounds.before();
  let count = 0;
  for (;;) {
    const rows = await conn.query<Row>(sql, [after, end, p.batchSize]);
    if (rows.length === 0) return count;
    // exact beyond 2^53, and read before the row function may change the row
    const last = rows[rows.length - 1]![p.key];
    for (const row of rows) {
      let out: ReturnType<NonNullable<PreparedUnit['rowFn']>>;
      try {
        out = p.rowFn!(row);
      } catch (error) {
        throw transformationError(error, p.unit.id);
      }
      if (out) count += Array.isArray(out) ? out.length : 1;
    }
    after = last;
  }
}
