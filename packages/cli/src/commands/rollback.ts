import type { Command } from 'commander';
import { MfmigError, isPostgresUrl } from '@mfmig/core';
import { rollbackPostgres } from '../postgres/postgres-rollback.js';
import type { RollbackExecutionResult, RollbackPlan, RollbackTarget } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { settle } from './settle.js';
import type { Output } from '../output.js';
import { renderRemovedByRetention } from '../render-backups.js';
import { confirmRisk } from './confirm-risk.js';
import { positiveWholeNumber } from './parse-options.js';
import { failWith, withRollbackService } from './rollback-service.js';
import { assertSchemaFileWritable, writeSchemaFile } from '../schema-file.js';
import { type TargetOptions, addTargetOptions, targetFrom } from './target-options.js';
import { milestoneText, milestoneSuffix } from '../milestone-text.js';

interface RollbackOptions extends TargetOptions {
  step?: number;
  preserveData: boolean;
  planOnly: boolean;
}

/** `mfmig rollback [--step N | --to N | --to-mvp N] [--no-preserve-data] [--plan-only]`; no target undoes the last migration. */
export function registerRollback(program: Command, cli: CliRuntime): void {
  addTargetOptions(
    program
      .command('rollback')
      .description('roll back the last migration, the last N, or to a version or milestone, archiving every row the down migrations drop')
      .option('--step <n>', 'roll back the last n applied migrations (default: the last one)', positiveWholeNumber),
    'roll back to',
    { required: true },
  )
    .option('--no-preserve-data', 'do not archive the rows the down migrations drop')
    .option('--plan-only', 'show the rollback plan and change nothing', false)
    .action(async (options: RollbackOptions) => {
      const target = rollbackTarget(options);
      if (isPostgresUrl(cli.globals.db)) return rollbackPostgres(cli, typeof target === 'number' ? { version: target } : target, options);
      if (!options.planOnly) assertSchemaFileWritable(cli);
      const done = await withRollbackService(cli, { loadModules: true }, async (manager) => {
        const plan = await manager.createRollbackPlan(target);
        if (options.planOnly) {
          cli.out.result(plan, () => renderRollbackPlan(cli.out, plan));
          return false;
        }
        if (!cli.out.json) renderRollbackPlan(cli.out, plan);
        await confirmRollbackRisk(cli, plan);
        const result = await settle(manager.executeRollbackPlan(plan, { preserveUserData: options.preserveData, signal: cli.signal }));
        cli.out.result({ plan, result }, () => renderRollbackResult(cli.out, result));
        if (!result.success) failWith(cli, result.error ?? new MfmigError('ROLLBACK_FAILED', 'The rollback did not finish'));
        return result.success;
      });
      if (done === true) await writeSchemaFile(cli);
    });
}

/**
 * Asks before a high or critical rollback plan runs (a terminal prompt, or `--yes`); refuses it
 * otherwise with RISK_NOT_ACCEPTED (exit 3, nothing changed).
 */
export async function confirmRollbackRisk(cli: CliRuntime, plan: RollbackPlan): Promise<void> {
  await confirmRisk(
    cli,
    plan.riskLevel,
    `This rollback is ${plan.riskLevel} risk. Go ahead?`,
    `The rollback plan is ${plan.riskLevel} risk (${plan.strategy}); rerun with --yes to accept it, or --plan-only to review it`,
  );
}

/** The target of `--step N | --to N | --to-mvp N`; none of them means the last migration. */
function rollbackTarget(options: RollbackOptions): RollbackTarget {
  const given = [options.step, options.to, options.toMvp].filter((o) => o !== undefined).length;
  if (given > 1) throw new MfmigError('USAGE', 'Give one rollback target: --step <n>, --to <version> or --to-mvp <n>, not several');
  if (given === 0 || options.step !== undefined) return { steps: options.step ?? 1 };
  return targetFrom(options, { required: 'rollback' });
}

/** The rollback plan as a table, with its warnings. */
export function renderRollbackPlan(out: Output, plan: RollbackPlan): void {
  out.line(
    `Rollback plan: version ${plan.fromVersion}${milestoneSuffix(plan.fromMvp)} -> ${plan.targetVersion}${milestoneSuffix(plan.targetMvp)}, ${plan.strategy}, risk ${plan.riskLevel}`,
  );
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

/** What a rollback did: backup, preserved rows, where it stopped, where it ended. */
export function renderRollbackResult(out: Output, result: RollbackExecutionResult): void {
  out.line();
  if (result.backup) out.line(`Backup taken first: ${result.backup.id}`);
  renderRemovedByRetention(out, result.removedByRetention);
  for (const p of result.preserved) out.line(`Kept ${p.rows} row(s) of ${p.table} (${p.kind}) in ${p.location}`);
  if (result.restoredFrom) out.line(`Restored backup ${result.restoredFrom.id}`);
  if (result.savedAside) out.line(`The replaced file is kept as ${result.savedAside}`);
  if (result.stopped) out.line(`Stopped at version ${result.stopped.atVersion}: ${result.stopped.reason}; back at version ${result.stopped.returnedToVersion}`);
  out.line(`${result.success ? 'Done' : 'Failed'}: version ${result.fromVersion} -> ${result.toVersion}`);
}
