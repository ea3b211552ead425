import { createConnectionTransformer } from '@mfmig/framework';
import type { PostgresRollbackPlan, PostgresRollbackPlanOptions } from '@mfmig/rollback';
import { formatMs } from '../progress-reporter.js';
import type { CliRuntime } from '../runtime.js';
import { DEFAULT_SAMPLE_ROWS } from './postgres-plan-rehearsal.js';

/** The options of the rollback plans the commands make: the default sample, the transformer's participant, the command's signal. */
export function rollbackPlanOptions(cli: CliRuntime, preserve: boolean): PostgresRollbackPlanOptions {
  return { sampleRows: DEFAULT_SAMPLE_ROWS, preserve, participants: [createConnectionTransformer()], signal: cli.signal };
}

/** The plan as lines and a table. */
export function renderPostgresRollbackPlan(cli: CliRuntime, plan: PostgresRollbackPlan): void {
  const { out } = cli;
  out.line(
    `Rollback plan: version ${plan.fromVersion} -> ${plan.targetVersion}, ${plan.steps.length} down(s), risk ${plan.riskLevel}${plan.estimatedMs !== null ? `, estimated ${formatMs(plan.estimatedMs)}` : ''}`,
  );
  if (plan.blocked) out.line(`${out.colors.red('Blocked')}: ${plan.blocked}`);
  out.table(
    plan.steps.map((s) => ({
      version: s.version,
      name: s.name,
      down: s.hasDown ? 'yes' : 'no',
      risk: s.rowsAtRisk.toLocaleString('en-US'),
      estimate: s.estimatedMs === null ? '-' : `${formatMs(s.estimatedMs)} (${s.estimateSource})`,
      losses: s.losses.map((l) => `${l.table}${l.kind === 'columns' ? ` (${l.columns.join(', ')})` : ''}: ${l.kind}`).join('; ') || '-',
    })),
    [
      { key: 'version', label: 'Version', align: 'right' },
      { key: 'name', label: 'Name' },
      { key: 'down', label: 'Down' },
      { key: 'risk', label: 'Rows at risk', align: 'right' },
      { key: 'estimate', label: 'Estimate' },
      { key: 'losses', label: 'What it drops' },
    ],
  );
  if (plan.totalRowsAtRisk > 0) {
    out.line(
      plan.preserved
        ? `${plan.totalRowsAtRisk.toLocaleString('en-US')} row(s) would be archived in mfmig_archive and put back by a later migrate.`
        : `${plan.totalRowsAtRisk.toLocaleString('en-US')} row(s) would be lost (--no-preserve-data).`,
    );
  }
}
