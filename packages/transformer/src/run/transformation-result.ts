import type { TransformationType } from '../declaration/transformation-types.js';

/**
 * The key of `ctx.state` (and of `RunResult.extras`) under which the transformer puts the
 * {@link TransformationResult}s of a migration (of a run).
 *
 * @example
 * const moved = ctx.state.get(TRANSFORMATION_RESULTS_KEY) as TransformationResult[] | undefined;
 */
export const TRANSFORMATION_RESULTS_KEY = 'transformations';

/** The outcome of one validation query.
 *
 * @example
 * report.validations.filter((v: ValidationResult) => !v.passed);
 */
export interface ValidationResult {
  transformationId: string;
  sql: string;
  value: unknown;
  expected: string;
  passed: boolean;
  message?: string;
}

/** How a transformation ran: in the caller's transaction, in committed batches, as a dry run, or reversed.
 *
 * @example
 * results.filter((r) => r.mode === 'batched');
 */
export type TransformationMode = 'inline' | 'batched' | 'dry-run' | 'reverse';

/**
 * What one transformation did: rows read from the source, rows written (or, in a dry run,
 * that would be written), batches, time and throughput.
 *
 * @example
 * for (const r of result.extras.transformations as TransformationResult[]) console.log(r.id, r.rowsWritten);
 */
export interface TransformationResult {
  id: string;
  name: string;
  transformationType: TransformationType;
  sourceTable: string;
  targetTable: string;
  /** Migration version, when run by the plugin. */
  version?: number;
  mode: TransformationMode;
  rowsRead: number;
  /** Rows inserted, updated or deleted; in a dry run, rows that would be (null when not countable). */
  rowsWritten: number | null;
  batches: number;
  durationMs: number;
  rowsPerSecond: number;
  /** True when a batched run continued from a saved cursor. */
  resumed: boolean;
  validations: ValidationResult[];
}
