import { type MigrationPlan, type PlanStep, maxRisk, riskAtLeast } from './plan-types.js';

const label = (s: Pick<PlanStep, 'version' | 'name'>) => `${String(s.version).padStart(4, '0')}_${s.name}`;
const secs = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`);

/**
 * Adds the plan-level totals to its steps: risk level and reasons (every finding of medium
 * risk or above, worst first; critical when a migration failed in the rehearsal), duration in seconds and minutes, and whether writers would be
 * blocked longer than the downtime threshold, with the steps that do it.
 *
 * @example
 * const plan = summarisePlan({ ...parts, steps });
 * plan.requiresDowntime;
 */
export function summarisePlan(
  parts: Omit<MigrationPlan, 'riskLevel' | 'riskReasons' | 'estimatedDuration' | 'estimatedSeconds' | 'requiresDowntime' | 'downtimeReasons' | 'createdAt'>,
): MigrationPlan {
  const failed = parts.rehearsal;
  const riskLevel = failed || parts.stop ? 'critical' : maxRisk(...parts.steps.map((s) => s.riskLevel));
  const order = ['critical', 'high', 'medium'] as const;
  const riskReasons = order.flatMap((level) =>
    parts.steps.flatMap((s) =>
      s.rules.filter((r) => r.severity === level && riskAtLeast(r.severity, 'medium')).map((r) => `${label(s)}: ${r.explanation} [${r.rule}, ${r.severity}]`),
    ),
  );
  if (failed && !parts.steps.some((s) => s.rules.some((r) => r.rule === 'rehearsal-failed'))) {
    riskReasons.unshift(`${label(failed)}: failed in the rehearsal: ${failed.message} [rehearsal-failed, critical]`);
  }
  if (parts.stop) riskReasons.unshift(`${parts.stop.message} [no-way-down, critical]`);
  const estimatedSeconds = parts.steps.reduce((sum, s) => sum + s.estimatedSeconds, 0);
  const blocking = parts.steps.filter((s) => s.blocksWritesSeconds > parts.downtimeThresholdSeconds);
  const backup =
    parts.writers && parts.steps.length > 0 && parts.writers.backupBlocksSeconds > parts.downtimeThresholdSeconds ? parts.writers.backupBlocksSeconds : 0;
  return {
    ...parts,
    riskLevel,
    riskReasons,
    estimatedSeconds,
    estimatedDuration: Math.round((estimatedSeconds / 60) * 100) / 100,
    requiresDowntime: blocking.length > 0 || backup > 0,
    downtimeReasons: [
      ...(backup > 0
        ? [`the backup copy blocks writers for about ${secs(backup)} in rollback-journal mode (threshold ${parts.downtimeThresholdSeconds} s; --wal avoids it)`]
        : []),
      ...blocking.map((s) => `${label(s)} blocks writers for about ${secs(s.blocksWritesSeconds)} (threshold ${parts.downtimeThresholdSeconds} s)`),
    ],
    createdAt: new Date().toISOString(),
  };
}
