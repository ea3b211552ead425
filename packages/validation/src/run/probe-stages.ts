import type { ProbeTask } from '../checks/check-env.js';
import { VALIDATION_CHECKS } from '../checks/registry.js';
import { type ProbeContext, type ProbeSource, type ProbeStage, isProbeCheck } from '../checks/validation-check.js';
import { recordLevelSkip } from './level-skip.js';

/**
 * Makes the probes of one stage at the run's level, from the registry and in its order: each
 * source once (several checks may share one), its probes handed to `submit` as soon as they
 * are made, so that idle child processes start on them while the next are made. A check the
 * level leaves out is listed with its `levelSkip`.
 *
 * @example
 * submitProbeStage('schema', { env, rec, out }, (tasks) => runner.submit(tasks.map((t) => t.probe)));
 */
export function submitProbeStage(stage: ProbeStage, ctx: ProbeContext, submit: (tasks: ProbeTask[]) => void): void {
  const made = new Set<ProbeSource>();
  for (const check of VALIDATION_CHECKS) {
    if (!isProbeCheck(check) || check.probes.stage !== stage) continue;
    if (!check.levels.includes(ctx.env.level)) recordLevelSkip(check, ctx.rec);
    else if (!made.has(check.probes)) {
      made.add(check.probes);
      submit(check.probes.tasks(ctx));
    }
  }
}
