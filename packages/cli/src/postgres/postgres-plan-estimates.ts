import type { StepMetric } from '@mfmig/core';
import { type EstimateSource, metricsSeconds } from '@mfmig/framework';
import type { PostgresPlan } from './postgres-plan.js';
import type { FailedRehearsal } from './postgres-plan-rehearsal.js';
import type { RehearsalEstimate } from './postgres-rehearse.js';

/** Where a PostgreSQL step's estimate comes from: an earlier run's metrics, or the rehearsal (there is no calibrated model). */
export type PostgresEstimateSource = Extract<EstimateSource, 'metrics' | 'rehearsal'>;

/**
 * The plan with each step's estimated duration, chosen as on SQLite: the metrics of an earlier
 * run of the step (its most recent `up` row in `mfmig_metrics`, scaled by the rows the step will
 * process over the rows that run counted, when both counted rows: the rows the rehearsal counted
 * on the sample, times its scale to the live tables), else the rehearsal's estimate. A step that
 * neither gives (no recorded run, not rehearsed) has none. The plan's `estimatedSeconds` is the
 * sum of its steps' when every step has one.
 *
 * @example
 * const plan = withEstimates(await postgresPlan(conn, migrations, target), rehearsal, await conn.metrics.list());
 * plan.steps.map((s) => [s.version, s.estimateSource, s.estimatedSeconds]); // [[2, 'metrics', 0.4], [3, 'rehearsal', 1.2]]
 */
export function withEstimates(plan: PostgresPlan, rehearsal: RehearsalEstimate | FailedRehearsal | undefined, metrics: readonly StepMetric[]): PostgresPlan {
  const rehearsed = new Map(rehearsal === undefined || 'failed' in rehearsal ? [] : rehearsal.steps.map((s) => [s.version, s]));
  const steps = plan.steps.map((step) => {
    const timed = rehearsed.get(step.version);
    const measured = metricsSeconds(metrics, { version: step.version, direction: 'up', rows: timed ? timed.rows * timed.scale : 0 });
    if (measured !== undefined) return { ...step, estimatedSeconds: measured, estimateSource: 'metrics' as const };
    if (timed) return { ...step, estimatedSeconds: timed.estimatedMs / 1000, estimateSource: 'rehearsal' as const };
    return step;
  });
  const complete = steps.every((s) => s.estimatedSeconds !== undefined);
  return { ...plan, steps, ...(complete ? { estimatedSeconds: steps.reduce((sum, s) => sum + s.estimatedSeconds!, 0) } : {}) };
}
