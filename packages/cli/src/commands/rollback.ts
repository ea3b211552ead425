import type { Command } from 'commander';
import { MfmigError } from '@mfmig/core';
import type { RollbackExecutionResult, RollbackPlan } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import type { Output } from '../output.js';
import { renderRemovedByRetention } from '../render-backups.js';
import { confirmRisk } from './confirm-risk.js';
import { failWith, withRollbackService } from './rollback-service.js';
import { type TargetOptions, addTargetOptions, targetFrom } from './target-options.js';
import { milestoneText, milestoneSuffix } from '../milestone-text.js';

interface RollbackOptions extends TargetOptions {
  preserveData: boolean;
  planOnly: boolean;
}

/** `mfmig rollback --to N | --to-mvp N [--no-preserve-data] [--plan-only]`. */
export function registerRollback(program: Command, cli: CliRuntime): void {
  addTargetOptions(
    program.command('rollback').description('roll back to a version or milestone, archiving every row the down migrations drop'),
    'roll back to',
    { required: true },
  )
    .option('--no-preserve-data', 'do not archive the rows the down migrations drop')
    .option('--plan-only', 'show the rollback plan and change nothing', false)
    .action(async (options: RollbackOptions) => {
      const target = targetFrom(options, { required: 'rollback' });
      await withRollbackService(cli, { loadModules: true }, async (manager) => {
        const plan = await manager.createRollbackPlan(target);
        if (options.planOnly) {
          cli.out.result(plan, () => renderPlan(cli.out, plan));
          return;
        }
        if (!cli.out.json) renderPlan(cli.out, plan);
        await confirmRisk(
          cli,
          plan.riskLevel,
          `This rollback is ${plan.riskLevel} risk. Go ahead?`,
          `The rollback plan is ${plan.riskLevel} risk (${plan.strategy}); rerun with --yes to accept it, or --plan-only to review it`,
        );
        const result = await manager.executeRollbackPlan(plan, { preserveUserData: options.preserveData, signal: cli.signal });
        cli.out.result({ plan, result }, () => renderResult(cli.out, result));
        if (!result.success) failWith(cli, result.error ?? new MfmigError('ROLLBACK_FAILED', 'The rollback did not finish'));
      });
    });
}

function renderPlan(out: Output, plan: RollbackPlan): void {
  out.line(`Rollback plan: version ${plan.fromVersion}${milestoneSuffix(plan.fromMvp)} -> ${plan.targetVersion}${milestoneSuffix(plan.targetMvp)}, ${plan.strategy}, risk ${plan.riskLevel}`);
  out.table(
    plan.steps.map((s) => ({
      version: s.version,
      name: s.name,
      mvp: milestoneText(s.mvp),
      reversible: s.reversible ? 'yes' : 'no',
      risk: s.dataAtRisk.map((d) => `${d.kind} ${d.table} (${d.rows} rows)`).join(', ') || '-',
    })),
    [
      { key: 'version', label: 'Down', align: 'right' },
      { key: 'name', label: 'Name' },
      { key: 'mvp', label: 'Milestone' },
      { key: 'reversible', label: 'Reversible' },
      { key: 'risk', label: 'Data at risk' },
    ],
  );
  for (const w of plan.warnings) out.line(`warning: ${w}`);
}

function renderResult(out: Output, result: RollbackExecutionResult): void {
  out.line();
  if (result.backup) out.line(`Backup taken first: ${result.backup.id}`);
  renderRemovedByRetention(out, result.removedByRetention);
  for (const p of result.preserved) out.line(`Kept ${p.rows} row(s) of ${p.table} (${p.kind}) in ${p.location}`);
  if (result.restoredFrom) out.line(`Restored backup ${result.restoredFrom.id}`);
  if (result.savedAside) out.line(`The replaced file is kept as ${result.savedAside}`);
  if (result.stopped) out.line(`Stopped at version ${result.stopped.atVersion}: ${result.stopped.reason}; back at version ${result.stopped.returnedToVersion}`);
  out.line(`${result.success ? 'Done' : 'Failed'}: version ${result.fromVersion} -> ${result.toVersion}`);
}
