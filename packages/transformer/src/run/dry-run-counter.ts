import type { DatabaseAdapter } from '@mfmig/core';
import type { Row } from '../declaration/data-transformation.js';
import { countQueryFor } from '../sql/count-query.js';
import { prepareLenient } from '../sql/legacy-strings.js';
import { BATCH_END_PARAM, BATCH_START_PARAM, allExact, usesBatchParams } from '@mfmig/core';
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
 * countUnit(adapter, prepared).rowsWritten; // 3000
 */
export function countUnit(adapter: DatabaseAdapter, p: PreparedUnit): ResultCounts {
  const start = performance.now();
  const rowsRead = adapter.tableExists(p.t.sourceTable) ? adapter.rowCount(p.t.sourceTable) : 0;
  const rowsWritten = p.rowFn ? countRowFunction(adapter, p) : countStatements(adapter, p.statements, p.key ? fullRange(adapter, p) : null, p.unit.id);
  return { rowsRead, rowsWritten, batches: 0, durationMs: performance.now() - start };
}

/**
 * Counts the rows a list of data statements would touch, or null when one cannot be counted.
 *
 * @example
 * countStatements(adapter, ["DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'"], null, 'reverse'); // 3000
 */
export function countStatements(adapter: DatabaseAdapter, statements: string[], range: { start: unknown; end: unknown } | null, id: string): number | null {
  let total = 0;
  for (const statement of statements) {
    const query = countQueryFor(statement);
    if (query === null) return null;
    try {
      const params = range && usesBatchParams(query) ? [{ [BATCH_START_PARAM]: range.start, [BATCH_END_PARAM]: range.end }] : [];
      total += Number(
        prepareLenient(adapter, query)
          .pluck()
          .get(...params) ?? 0,
      );
    } catch (error) {
      throw transformationError(error, id, statement);
    }
  }
  return total;
}

function fullRange(adapter: DatabaseAdapter, p: PreparedUnit): { start: unknown; end: unknown } {
  const bounds = new KeyBounds(adapter, p.t.sourceTable, p.key!);
  return { start: bounds.before(), end: bounds.max() };
}

function countRowFunction(adapter: DatabaseAdapter, p: PreparedUnit): number {
  if (!p.key) return adapter.rowCount(p.t.sourceTable);
  const bounds = new KeyBounds(adapter, p.t.sourceTable, p.key);
  const end = bounds.max();
  if (end === null) return 0;
  const page = adapter.prepare(pageSql(p));
  let after = bounds.before();
  let count = 0;
  for (;;) {
    const rows = allExact<Row>(page, [after, end, p.batchSize]);
    if (rows.length === 0) return count;
    // exact beyond 2^53 (allExact), and read before the row function may change the row
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
