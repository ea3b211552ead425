import type { StepMetric } from './metrics-store.js';

/** The step whose duration {@link metricsSeconds} looks up. */
export interface MeasuredStep {
  version: number;
  direction: 'up' | 'down';
  /** Rows the step's data work will process, as the runner counts them (`ctx.rows`); 0 when unknown. */
  rows: number;
}

/**
 * A step's duration in seconds from the metrics of an earlier run of it: the most recent
 * `mfmig_metrics` row of the same version and direction (`metrics` oldest first, as the stores
 * list them). When that run and this step both count rows, its time is scaled by this step's rows
 * over that run's; otherwise it is taken as it was. Undefined when no run of the step was recorded.
 *
 * @example
 * const metrics = [{ runId: 'r1', version: 5, step: '0005_fill', direction: 'up', durationMs: 1_500, rows: 1_000, rowsPerSecond: 667, peakMemory: 0, recordedAt: '' }] satisfies StepMetric[];
 * metricsSeconds(metrics, { version: 5, direction: 'up', rows: 2_000 }); // 3
 * metricsSeconds(metrics, { version: 5, direction: 'up', rows: 0 }); // 1.5
 * metricsSeconds(metrics, { version: 5, direction: 'down', rows: 0 }); // undefined
 */
export function metricsSeconds(metrics: readonly StepMetric[], step: MeasuredStep): number | undefined {
  const metric = metrics.filter((x) => x.version === step.version && x.direction === step.direction).at(-1);
  if (!metric) return undefined;
  if (metric.rows > 0 && step.rows > 0) return (metric.durationMs / 1000) * (step.rows / metric.rows);
  return metric.durationMs / 1000;
}
