import type { DialectConnection } from '@mfmig/core';
import { MfmigError, SqliteConnection, abbreviateSql } from '@mfmig/core';
import { parseTransformations } from '../declaration/parse-transformation.js';
import { planUnits } from '../declaration/transformation-unit.js';
import { reverseOrder, runReverse } from '../run/reverse-runner.js';
import { transformationError } from '../run/statement-runner.js';
import type { ConnectionReverseResult } from './connection-result.js';
import { runLenient } from '../sql/legacy-strings.js';
import { throwIfInterrupted } from './interruption.js';

/**
 * Runs the declared reverses of a migration's transformations through a dialect connection, in the
 * caller's transaction, last first (a `migrate` transformation with its own reverse is reversed
 * as one, else its steps are). A SQL reverse runs statement by statement. As on SQLite, a
 * transformation without a reverse (or `reversible: false`) is skipped: the migration's `down`
 * undoes it. A function reverse runs on SQLite (it is given the connection and the driver's handle
 * under it, as under the plugin); on another dialect it is refused before anything runs.
 * Returns, for each reverse that ran, the rows it changed.
 *
 * @example
 * await conn.transaction(async () => {
 *   for (const r of await reverseTransformationsOn(conn, migration.transformations)) console.log(r.id, r.rows);
 * });
 */
export async function reverseTransformationsOn(
  conn: DialectConnection,
  declared: readonly unknown[],
  options: { signal?: AbortSignal } = {},
): Promise<ConnectionReverseResult[]> {
  if (declared.length === 0) return [];
  const units = reverseOrder(planUnits(parseTransformations(declared))).filter((u) => u.transformation.reversible && u.transformation.reverse !== undefined);
  const fn = units.find((u) => typeof u.transformation.reverse === 'function');
  if (fn && !(conn instanceof SqliteConnection)) {
    throw new MfmigError(
      'TRANSFORMATION_INVALID',
      `Transformation ${fn.id}: its reverse is a function, which only runs on SQLite; write it as SQL to run it on ${conn.dialect}`,
      { context: { transformation: fn.id } },
    );
  }
  const results: ConnectionReverseResult[] = [];
  for (const unit of units) {
    throwIfInterrupted(options.signal, unit.id, 0);
    const start = performance.now();
    if (typeof unit.transformation.reverse === 'function') {
      const counts = await runReverse(conn as SqliteConnection, unit, false);
      results.push({ id: unit.id, name: unit.transformation.name, rows: counts.rowsWritten ?? 0, durationMs: performance.now() - start });
      continue;
    }
    let rows = 0;
    for (const statement of await conn.splitStatements(unit.transformation.reverse as string)) {
      try {
        rows += await runLenient(statement, (text) => conn.execute(text));
      } catch (error) {
        throw transformationError(error, unit.id, abbreviateSql(statement, 200));
      }
    }
    results.push({ id: unit.id, name: unit.transformation.name, rows, durationMs: performance.now() - start });
  }
  return results;
}
