import { type MigrationSet, type PostgresConnection, type StepMetric, migrationLabel } from '@mfmig/core';
import type { EstimateSource } from '../plan/plan-types.js';
import { metricsSeconds } from '../estimate/metrics-estimate.js';
import type { PostgresPlan } from './postgres-plan.js';
import type { FailedRehearsal, RehearsalEstimate } from './postgres-rehearsal-estimate.js';
import { type FailedModel, type ModelEstimates, modelEstimates } from './postgres-cost-model.js';

/**
 * Where a PostgreSQL step's estimate comes from: an earlier run's `metrics`, else the
 * `rehearsal`, else the `model` (the sizes of the tables its statements touch, priced by a probe
 * timed on the server during the plan).
 */
export type PostgresEstimateSource = Extract<EstimateSource, 'metrics' | 'rehearsal' | 'model'>;

/**
 * The plan with every estimate it can get (see {@link withEstimates}), and the model's for the
 * steps left without one (see {@link withModelEstimates}): only then are the tables' sizes read
 * and the cost probe run, once. Notes say why a step keeps no estimate (a module migration, a
 * probe that could not run). `model` is what the plan priced with, when it needed the model.
 *
 * @example
 * const { plan, model } = await estimatePostgresPlan(url, conn, migrations, await planPostgresMigrations(conn, migrations, { latest: true }), undefined);
 */
export async function estimatePostgresPlan(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  pending: PostgresPlan,
  rehearsal: RehearsalEstimate | FailedRehearsal | undefined,
): Promise<{ plan: PostgresPlan; model?: ModelEstimates | FailedModel }> {
  const plan = withEstimates(pending, rehearsal, await conn.metrics.list());
  if (!plan.steps.some((s) => s.estimatedSeconds === undefined && s.analyzed)) return { plan: withUnestimatedNote(plan) };
  const versions = plan.steps.map((s) => s.version);
  const model = await modelEstimates(url, conn, migrations, versions);
  if ('failed' in model) return { plan: withUnestimatedNote({ ...plan, notes: [...plan.notes, `no model estimates: ${model.failed}`] }), model };
  return { plan: withUnestimatedNote(withModelEstimates(plan, model)), model };
}

/** A note naming the module steps left without an estimate, when there are some. */
function withUnestimatedNote(plan: PostgresPlan): PostgresPlan {
  const modules = plan.steps.filter((s) => s.estimatedSeconds === undefined && !s.analyzed);
  if (modules.length === 0) return plan;
  const note = `${modules.map((s) => migrationLabel(s)).join(', ')}: no estimate: what a module migration runs is known only when it runs; a rehearsal or a recorded run gives one`;
  return { ...plan, notes: [...plan.notes, note] };
}

/**
 * The plan with each step's estimated duration, chosen as on SQLite: the metrics of an earlier
 * run of the step (its most recent `up` row in `mfmig_metrics`, scaled by the rows the step will
 * process over the rows that run counted, when both counted rows: the rows the rehearsal counted
 * on the sample, times its scale to the live tables), else the rehearsal's estimate. A step that
 * neither gives (no recorded run, not rehearsed) has none here; {@link withModelEstimates} gives
 * it the model's. The plan's `estimatedSeconds` is the sum of its steps' when every step has one.
 *
 * @example
 * const plan = withEstimates(await planPostgresMigrations(conn, migrations, target), rehearsal, await conn.metrics.list());
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
  return withTotal({ ...plan, steps });
}

/**
 * The plan with the model's estimate (`estimateSource: 'model'`) for each step that has none yet
 * and that the model prices (see `modelEstimates`; a module migration it does not), and the total
 * when every step has one now.
 *
 * @example
 * const plan = withModelEstimates(withEstimates(pending, undefined, []), await modelEstimates(url, conn, migrations, [2, 3]));
 * plan.steps.map((s) => s.estimateSource); // ['model', 'model']
 */
export function withModelEstimates(plan: PostgresPlan, model: ModelEstimates): PostgresPlan {
  const steps = plan.steps.map((step) => {
    const seconds = model.steps.get(step.version);
    if (step.estimatedSeconds !== undefined || seconds === undefined) return step;
    return { ...step, estimatedSeconds: seconds, estimateSource: 'model' as const };
  });
  return withTotal({ ...plan, steps });
}

/** The plan with `estimatedSeconds`, the sum of its steps', when every step has one, and without it otherwise. */
function withTotal(plan: PostgresPlan): PostgresPlan {
  const { estimatedSeconds: _old, ...rest } = plan;
  const complete = plan.steps.every((s) => s.estimatedSeconds !== undefined);
  return { ...rest, ...(complete ? { estimatedSeconds: plan.steps.reduce((sum, s) => sum + s.estimatedSeconds!, 0) } : {}) };
}
