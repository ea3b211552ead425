import type { DialectConnection } from '@mfmig/core';
import { MfmigError, abbreviateSql, quoteIdentifier, restrictToBatch } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { transformationError } from '../run/statement-runner.js';
import { type BatchBoundStatement, bindBatchPlaceholders } from './batch-placeholders.js';
import type { UnitCounts, UnitRunContext } from './connection-result.js';
import { copyStatementOn } from './copy-statement.js';
import { throwIfInterrupted } from './interruption.js';
import { runLenient } from '../sql/legacy-strings.js';
import { sourceKeyOf } from './source-key.js';

/**
 * Runs the SQL of a unit (its `sql`, or the generated copy) in the caller's transaction. SQL
 * that uses `@batchStart` / `@batchEnd` runs once per key range `(start, start + batchSize]` of
 * the source's integer key, from its min to its max as they are when it starts (gaps with no
 * key are skipped); its other statements are restricted to the range the way SQLite's batches
 * restrict them, or, when one cannot be, the whole SQL runs once over the full range. SQL
 * without placeholders runs once. Returns the rows changed.
 *
 * @example
 * const counts = await runSqlUnit(conn, unit, { batchSize: 1_000 }); // { rowsRead: 2_500, rows: 2_500, batches: 3 }
 */
export async function runSqlUnit(conn: DialectConnection, unit: TransformationUnit, run: UnitRunContext): Promise<UnitCounts> {
  const t = unit.transformation;
  const statements = await conn.splitStatements(t.sql ?? (await copyStatementOn(conn, t, unit.id)));
  if (statements.length === 0) {
    throw new MfmigError('TRANSFORMATION_INVALID', `Transformation ${unit.id} has no SQL statement`, { context: { transformation: unit.id } });
  }
  const bound = statements.map(bindBatchPlaceholders);
  const operation = `transform ${unit.id}`;
  if (bound.every((s) => s.params.length === 0)) {
    let rows = 0;
    for (const s of bound) rows += await executeBound(conn, s, null, unit.id);
    run.onProgress?.({ operation, done: rows, total: rows, unit: 'rows' });
    return { rowsRead: rows, rows, batches: 1 };
  }
  const key = await sourceKeyOf(conn, t, unit.id, { integer: true });
  const k = quoteIdentifier(key.column);
  const source = quoteIdentifier(t.sourceTable);
  const bounds = (
    await conn.query<{ lo: string | null; hi: string | null }>(`SELECT CAST(min(${k}) AS TEXT) AS lo, CAST(max(${k}) AS TEXT) AS hi FROM ${source}`)
  )[0];
  if (!bounds?.lo || !bounds.hi) return { rowsRead: 0, rows: 0, batches: 0 };
  const lo = BigInt(bounds.lo);
  const hi = BigInt(bounds.hi);
  // the key range stands for the row count in progress: counting a large source costs a full scan
  const total = Number(hi - lo + 1n);
  const restricted = boundToRange(bound, t.sourceTable, key.column);
  const whole = t.batch === 'never' || restricted === null;
  const perBatch = restricted && !whole ? restricted : bound;
  const size = BigInt(run.batchSize);
  let rows = 0;
  let batches = 0;
  let start = lo - 1n;
  while (start < hi) {
    throwIfInterrupted(run.signal, unit.id, rows);
    const end = whole || start + size > hi ? hi : start + size;
    for (const s of perBatch) rows += await executeBound(conn, s, { start, end }, unit.id);
    batches++;
    run.onProgress?.({ operation, done: Math.round((total * Number(end - lo + 1n)) / Number(hi - lo + 1n)), total, unit: 'rows' });
    const next = await conn.query<{ at: string | null }>(`SELECT CAST(min(${k}) AS TEXT) AS at FROM ${source} WHERE ${k} > $1 AND ${k} <= $2`, [end, hi]);
    if (!next[0]?.at) break;
    start = BigInt(next[0].at) - 1n;
  }
  return { rowsRead: total, rows, batches };
}

/**
 * Every statement bound to a batch's key range: those that use `@batchStart` / `@batchEnd` as
 * they are, the others restricted to the range; null when one of them reads no `FROM <source>`
 * and so cannot be restricted.
 *
 * @example
 * boundToRange(['INSERT INTO b SELECT * FROM a'].map(bindBatchPlaceholders), 'a', 'id'); // [{ sql: '... WHERE "id" > $1 AND "id" <= $2) AS "a"', ... }]
 */
export function boundToRange(statements: BatchBoundStatement[], source: string, key: string): BatchBoundStatement[] | null {
  const bound: BatchBoundStatement[] = [];
  for (const s of statements) {
    const ranged = s.params.length > 0 ? s : restrictedToRange(s.sql, source, key);
    if (ranged === null) return null;
    bound.push(ranged);
  }
  return bound;
}

/** A statement without placeholders restricted to the batch's source range, or null when it reads no `FROM <source>`. */
function restrictedToRange(statement: string, source: string, key: string): BatchBoundStatement | null {
  const restricted = restrictToBatch(statement, source, key);
  return restricted === null ? null : bindBatchPlaceholders(restricted);
}

/**
 * Runs one statement with its range ends bound (null: no range); returns the rows it changed.
 *
 * @example
 * await executeBound(conn, bindBatchPlaceholders(sql), { start: 0n, end: 500n }, 'kb_to_incident_mapping'); // 500
 */
export async function executeBound(
  conn: DialectConnection,
  s: BatchBoundStatement,
  range: { start: bigint; end: bigint } | null,
  unitId: string,
): Promise<number> {
  // the range ends bind as integers on every dialect: SQLite compares a text parameter with an integer expression as text
  const params = range ? s.params.map((p) => (p === 'batchStart' ? range.start : range.end)) : [];
  try {
    return await runLenient(s.sql, (text) => conn.execute(text, params));
  } catch (error) {
    throw transformationError(error, unitId, abbreviateSql(s.sql, 200));
  }
}
