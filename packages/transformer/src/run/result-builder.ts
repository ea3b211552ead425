import type { TransformationUnit } from '../declaration/transformation-unit.js';
import type { TransformationMode, TransformationResult, ValidationResult } from './transformation-result.js';

/** The counters a result is made of. */
export interface ResultCounts {
  rowsRead: number;
  rowsWritten: number | null;
  batches: number;
  durationMs: number;
  resumed?: boolean;
}

/**
 * Builds the {@link TransformationResult} of a unit.
 *
 * @example
 * toResult(unit, 'inline', { rowsRead: 10, rowsWritten: 10, batches: 1, durationMs: 2 }, [], 5);
 */
export function toResult(
  unit: TransformationUnit,
  mode: TransformationMode,
  counts: ResultCounts,
  validations: ValidationResult[],
  version?: number,
): TransformationResult {
  const t = unit.transformation;
  const rows = counts.rowsWritten ?? counts.rowsRead;
  return {
    id: unit.id,
    name: t.name,
    transformationType: t.transformationType,
    sourceTable: t.sourceTable,
    targetTable: t.targetTable,
    ...(version === undefined ? {} : { version }),
    mode,
    rowsRead: counts.rowsRead,
    rowsWritten: counts.rowsWritten,
    batches: counts.batches,
    durationMs: counts.durationMs,
    rowsPerSecond: counts.durationMs > 0 ? Math.round((rows * 1000) / counts.durationMs) : 0,
    resumed: counts.resumed ?? false,
    validations,
  };
}
