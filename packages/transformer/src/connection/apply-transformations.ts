import { quoteIdentifier } from '@mfmig/core';
import type { DialectConnection } from '@mfmig/core';
import { parseTransformations } from '../declaration/parse-transformation.js';
import { type TransformationUnit, planUnits } from '../declaration/transformation-unit.js';
import type { ValidationResult } from '../run/transformation-result.js';
import { validationError } from '../run/validation-runner.js';
import type { ApplyOnConnectionOptions, ConnectionTransformationResult, UnitCounts } from './connection-result.js';
import { type ValidationTarget, validateOnConnection } from './connection-validations.js';
import { runRowFunctionUnit } from './row-function-unit.js';
import { runSqlUnit } from './sql-unit.js';

/**
 * Default source rows (SQL: key values) per batch. Every batch runs in the migration's one
 * transaction, so a batch buys progress, not shorter locks: 100,000 keeps a progress line every
 * fraction of a second at the cost of few statements (10,000 measured about 8% slower at 1M rows).
 */
const DEFAULT_BATCH_SIZE = 100_000;

/**
 * Runs a migration's declared transformations through a dialect connection (PostgreSQL or
 * SQLite), inside the caller's
 * transaction (it never begins or commits one: a failure rolls the whole migration back).
 * Declarations are validated and ordered by their dependencies; a `migrate` transformation's
 * steps run in their own dependency order. SQL using `@batchStart` / `@batchEnd` runs in key
 * ranges of the source's integer key, other SQL once; a row function pages the source by key
 * and writes with multi-row statements. Then every validation query is checked, as on SQLite:
 * one that fails throws `VALIDATION_FAILED` naming the transformation and the query.
 *
 * @example
 * await conn.transaction(async () => {
 *   const results = await applyTransformationsOn(conn, migration.transformations, { batchSize: 5_000 });
 *   for (const r of results) console.log(r.id, r.rows, r.batches);
 * });
 */
export async function applyTransformationsOn(
  conn: DialectConnection,
  declared: readonly unknown[],
  options: ApplyOnConnectionOptions = {},
): Promise<ConnectionTransformationResult[]> {
  if (declared.length === 0) return [];
  const units = planUnits(parseTransformations(declared));
  const ran = await runUnitsOn(conn, units, options);
  const validations = await validateOnConnection(conn, validationTargets(units));
  const failed = validationError(validations);
  if (failed) throw failed;
  return connectionResults(ran, validations);
}

/** What running one unit on a connection gave. */
export interface RanUnit {
  unit: TransformationUnit;
  counts: UnitCounts;
  durationMs: number;
}

/**
 * Runs units whole in the caller's transaction, in order, after a SHARE lock on each one's
 * source (see {@link holdSourcesStill}); no validation.
 *
 * @example
 * const ran = await runUnitsOn(conn, units.slice(0, 1), { batchSize: 5_000 });
 */
export async function runUnitsOn(conn: DialectConnection, units: readonly TransformationUnit[], options: ApplyOnConnectionOptions): Promise<RanUnit[]> {
  await holdSourcesStill(conn, units);
  const ran: RanUnit[] = [];
  for (const unit of units) {
    const start = performance.now();
    const run = {
      batchSize: unit.transformation.batchSize ?? options.batchSize ?? DEFAULT_BATCH_SIZE,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const counts = unit.transformation.transform ? await runRowFunctionUnit(conn, unit, run) : await runSqlUnit(conn, unit, run);
    ran.push({ unit, counts, durationMs: performance.now() - start });
  }
  return ran;
}

/**
 * The results of units that ran, each with its validations (and its `migrate` parent's).
 *
 * @example
 * const results = connectionResults(ran, await validateOnConnection(conn, validationTargets(units)));
 */
export function connectionResults(ran: readonly RanUnit[], validations: readonly ValidationResult[]): ConnectionTransformationResult[] {
  return ran.map(({ unit, counts, durationMs }) => {
    const t = unit.transformation;
    return {
      id: unit.id,
      name: t.name,
      transformationType: t.transformationType,
      sourceTable: t.sourceTable,
      targetTable: t.targetTable,
      rowsRead: counts.rowsRead,
      rows: counts.rows,
      batches: counts.batches,
      durationMs,
      validations: validations.filter((v) => v.transformationId === unit.id || v.transformationId === unit.parent?.id),
    };
  });
}

/**
 * Takes a SHARE lock on every source table that exists, for the rest of the migration's
 * transaction: the application's inserts, updates and deletes there wait until the migration
 * commits instead of slipping past the data move (a row inserted after the move read its source
 * would be missing from the target, and the validations would fail on the difference). Reads go
 * on. The wait for the lock is bounded by the migration's lock timeout, like its DDL.
 *
 * @example
 * await holdSourcesStill(conn, units); // LOCK TABLE "kb_entries" IN SHARE MODE
 */
export async function holdSourcesStill(conn: DialectConnection, units: readonly TransformationUnit[]): Promise<void> {
  // without table locks, SQLite's write transaction holds every table still already
  if (!conn.capabilities.tableLocks) return;
  const sources = [...new Set(units.map((u) => u.transformation.sourceTable))];
  for (const source of sources) {
    if (!(await conn.introspector.table(source))) continue;
    await conn.execute(`LOCK TABLE ${quoteIdentifier(source)} IN SHARE MODE`);
  }
}

/**
 * Every unit, and each `migrate` parent after its last step (as the SQLite engine validates).
 *
 * @example
 * await validateOnConnection(conn, validationTargets(units));
 */
export function validationTargets(units: readonly TransformationUnit[]): ValidationTarget[] {
  const targets: ValidationTarget[] = [];
  units.forEach((u, i) => {
    targets.push({ id: u.id, t: u.transformation });
    if (u.parent && units[i + 1]?.parent !== u.parent) targets.push({ id: u.parent.id, t: u.parent });
  });
  return targets;
}
