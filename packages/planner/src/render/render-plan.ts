import type { MigrationPlan } from '../plan/plan-types.js';

const secs = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);

/**
 * Renders a plan as plain text: the rehearsal failure (if any), a summary, one table row per step (version, name, milestone,
 * risk, estimated time, time writers wait, rules fired), then the risk and downtime reasons.
 *
 * @example
 * console.log(renderPlan(await planner.createComprehensiveMigrationPlan(5)));
 */
export function renderPlan(plan: MigrationPlan): string {
  const lines: string[] = [];
  const direction = plan.direction === 'none' ? 'nothing to do' : plan.direction;
  lines.push(`Plan: MVP${plan.currentMVP} (version ${plan.currentVersion}) -> MVP${plan.targetMVP} (version ${plan.targetVersion}), ${direction}`);
  if (plan.rehearsal) {
    const r = plan.rehearsal;
    lines.push(`REHEARSAL FAILED at version ${r.version} (${r.name}): ${r.message}${r.statement ? `\n  statement: ${r.statement}` : ''}`);
  }
  lines.push(
    `Risk: ${plan.riskLevel.toUpperCase()}   Estimated: ${secs(plan.estimatedSeconds)} (${plan.estimatedDuration} min)   Downtime: ${plan.requiresDowntime ? 'yes' : 'no'}`,
  );
  if (plan.steps.length > 0) {
    const rows = plan.steps.map((s) => [
      String(s.version),
      s.name,
      `MVP${s.mvp}`,
      s.riskLevel,
      secs(s.estimatedSeconds),
      secs(s.blocksWritesSeconds),
      [...new Set(s.rules.map((r) => r.rule))].join(', ') || '-',
    ]);
    const header = ['Version', 'Name', 'MVP', 'Risk', 'Estimated', 'Blocks writes', 'Rules'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const format = (cells: string[]) =>
      cells
        .map((c, i) => (i === 0 || i === 4 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push('', format(header), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format));
  }
  if (plan.writers && plan.steps.length > 0) lines.push('', `Writers: ${plan.writers.note}`);
  if (plan.riskReasons.length > 0) lines.push('', 'Risk reasons:', ...plan.riskReasons.map((r) => `  - ${r}`));
  if (plan.downtimeReasons.length > 0) lines.push('', 'Downtime:', ...plan.downtimeReasons.map((r) => `  - ${r}`));
  lines.push(
    '',
    `Estimated by ${plan.estimation.method}${plan.estimation.sampleRows.length ? ` on samples of ${plan.estimation.sampleRows.join(' and ')} rows` : ''}.`,
  );
  for (const note of plan.estimation.notes) lines.push(`Note: ${note}`);
  return lines.join('\n');
}
