import type { Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import { redoPostgres } from '../postgres/postgres-redo.js';
import { type RedoResult, planRedo, redoLastMigration } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import { settle } from './settle.js';
import type { Output } from '../output.js';
import { renderRun } from '../render-run.js';
import { confirmRollbackRisk, renderRollbackPlan, renderRollbackResult } from './rollback.js';
import { wholeNumber } from './parse-options.js';
import { failWith } from './rollback-service.js';
import { assertSchemaFileWritable, writeSchemaFile } from '../schema-file.js';

/** `mfmig redo`: roll back the last migration and apply it again, with a rollback's and a migrate's safety. */
export function registerRedo(program: Command, cli: CliRuntime): void {
  program
    .command('redo')
    .description('roll back the last migration and apply it again (its dropped rows are archived and put back)')
    .option('--plan-only', 'show the rollback plan of the redo and change nothing', false)
    .option('--lock-timeout <ms>', 'wait this long for another running mfmig before giving up', wholeNumber, 10_000)
    .action(async (options: { planOnly: boolean; lockTimeout: number }) => {
      if (isPostgresUrl(cli.globals.db)) return redoPostgres(cli, options);
      if (!options.planOnly) assertSchemaFileWritable(cli);
      const done = await cli.withFramework({ loadModules: true }, async (framework) => {
        const plan = await planRedo(framework);
        if (options.planOnly) {
          cli.out.result(plan, () => renderRollbackPlan(cli.out, plan.rollback));
          return false;
        }
        if (!cli.out.json) renderRollbackPlan(cli.out, plan.rollback);
        await confirmRollbackRisk(cli, plan.rollback);
        const result = await settle(redoLastMigration({ ...framework, lockTimeout: options.lockTimeout }, plan, { signal: cli.signal }));
        cli.out.result({ plan, result }, () => renderRedo(cli.out, result));
        if (result.error) failWith(cli, result.error);
        return result.success;
      });
      if (done) await writeSchemaFile(cli);
    });
}

function renderRedo(out: Output, result: RedoResult): void {
  renderRollbackResult(out, result.rollback);
  if (result.reapplied) renderRun(out, result.reapplied);
  else out.line(`Not applied again: version ${result.migration.version} stays rolled back`);
}
