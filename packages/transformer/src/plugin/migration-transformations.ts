import type { MigrationContext } from '@mfmig/core';
import { migrationLabel } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { toResult, type ResultCounts } from '../run/result-builder.js';
import { TRANSFORMATION_RESULTS_KEY, type TransformationMode, type TransformationResult, type ValidationResult } from '../run/transformation-result.js';
import { validationError } from '../run/validation-runner.js';
import type { TransformationEngine } from '../transformation-engine.js';

/** `ctx.state` flag: this migration left batched transformations for its continuation. */
export const CONTINUATION_KEY = 'transformer.continuation';

/** `ctx.state` entry: counts measured in this process, by unit id (durations survive until finalize). */
export const COUNTS_KEY = 'transformer.counts';

/** The cursor scope of a migration's batched transformations. */
export function migrationScope(ctx: MigrationContext): string {
  return `migration:${ctx.migration.version}`;
}

/** Adds results to `ctx.state` under {@link TRANSFORMATION_RESULTS_KEY}. */
export function publishResults(ctx: MigrationContext, results: TransformationResult[]): void {
  const list = (ctx.state.get(TRANSFORMATION_RESULTS_KEY) as TransformationResult[] | undefined) ?? [];
  list.push(...results);
  ctx.state.set(TRANSFORMATION_RESULTS_KEY, list);
}

/** Records one metrics row per transformation (in the current transaction). */
export async function recordMetrics(ctx: MigrationContext, results: TransformationResult[]): Promise<void> {
  for (const r of results) {
    await ctx.connection.metrics.record({
      runId: ctx.runId,
      version: ctx.migration.version,
      step: `${migrationLabel(ctx.migration)}#${r.id}`,
      direction: ctx.direction,
      durationMs: r.durationMs,
      rows: r.rowsWritten ?? r.rowsRead,
      peakMemory: process.memoryUsage.rss(),
    });
  }
}

/** Validates the units; a failed expectation throws `VALIDATION_FAILED` (the caller's transaction then rolls back). */
export async function validateOrThrow(engine: TransformationEngine, units: TransformationUnit[]): Promise<ValidationResult[]> {
  const validations = await engine.validate(units);
  const error = validationError(validations);
  if (error) throw error;
  return validations;
}

/** Results of units from their counts, each with the validations that belong to it. */
export function resultsOf(
  ctx: MigrationContext,
  entries: { unit: TransformationUnit; counts: ResultCounts }[],
  mode: TransformationMode | ((unit: TransformationUnit) => TransformationMode),
  validations: ValidationResult[] = [],
): TransformationResult[] {
  return entries.map(({ unit, counts }) =>
    toResult(
      unit,
      typeof mode === 'function' ? mode(unit) : mode,
      counts,
      validations.filter((v) => v.transformationId === unit.id || v.transformationId === unit.parent?.id),
      ctx.migration.version,
    ),
  );
}
