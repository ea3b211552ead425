import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import {
  type MigrationFramework,
  type MigrationFrameworkConfig,
  type MigrationPlan,
  type MigrationTarget,
  type ToolAdoption,
  assertAdopted,
  assertDatabaseIntact,
  MfmigError,
  assertRehearsalPassed,
} from '@mfmig/framework';
import type { CliRuntime, OpenFrameworkOptions } from '../runtime.js';
import { assertSchemaFileWritable, writeSchemaFile } from '../schema-file.js';
import { ProgressReporter } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import { confirmRisk } from './confirm-risk.js';
import { DOWNTIME_THRESHOLD_HELP, seconds, versionList, wholeNumber } from './parse-options.js';
import { type TargetOptions, addTargetOptions, targetFrom } from './target-options.js';
import { type LockWaitOptions, addLockWaitOptions } from './lock-wait-options.js';
import { renderPlan } from './plan.js';
import { adoptedCopy, renderAdoption } from '../adoption-preview.js';
import { migratePostgres } from '../postgres/postgres-commands.js';

interface MigrateOptions extends TargetOptions, LockWaitOptions {
  dryRun: boolean;
  acceptChecksum?: number[];
  lockTimeout: number;
  rollbackOnFailure: boolean;
  checkpoint: boolean;
  downtimeThreshold?: number;
  wal: boolean;
}

/** `mfmig migrate [--to N | --to-mvp N] [--dry-run]`. */
export function registerMigrate(program: Command, cli: CliRuntime): void {
  const command = addTargetOptions(
    program.command('migrate').description('apply pending migrations up to the latest version, a version or a milestone'),
    'migrate to',
  )
    .option('--dry-run', 'show the statements that would run and change nothing', false)
    .option('--accept-checksum <versions>', 'accept edited applied migrations (comma-separated versions; logged)', versionList)
    .option('--rollback-on-failure', 'when a migration fails, take the database back to where the run started', false)
    .option('--checkpoint', 'take a checkpoint before the run (resume it with `mfmig resume`)', false)
    .option('--lock-timeout <ms>', 'wait this long for another running mfmig before giving up', wholeNumber, 10_000)
    .option('--downtime-threshold <seconds>', DOWNTIME_THRESHOLD_HELP, seconds)
    .option('--wal', 'switch the database to WAL journal mode first (it stays in WAL): the application keeps reading and writing while mfmig reads', false);
  addLockWaitOptions(command, 'a migration').action(async (options: MigrateOptions) => {
    const target = targetFrom(options);
    if (isPostgresUrl(cli.globals.db)) {
      if (options.wal) throw new MfmigError('USAGE', '--wal is not available on PostgreSQL: it sets a SQLite journal mode');
      return migratePostgres(cli, target, options);
    }
    if (!options.dryRun) assertSchemaFileWritable(cli);
    const dbPath = resolve(cli.globals.db);
    const open = (database: MigrationFrameworkConfig['database']): OpenFrameworkOptions => ({
      create: true,
      loadModules: true,
      database,
      config: { lockTimeout: options.lockTimeout },
      planner: { downtimeThresholdSeconds: options.downtimeThreshold },
    });
    const run = async (framework: MigrationFramework, plan: MigrationPlan | false, adoption: ToolAdoption | null = null) => {
      if (options.wal && !options.dryRun) await switchToWal(framework);
      const detach = new ProgressReporter(cli.out).attach(framework.context.events);
      try {
        const result = await framework.migrationService.migrateTo(target, {
          dryRun: options.dryRun,
          acceptChecksums: options.acceptChecksum,
          signal: cli.signal,
          enableRollback: options.rollbackOnFailure,
          createCheckpoints: options.checkpoint,
          plan,
        });
        detach();
        if (adoption) result.extras.adoption = adoption;
        cli.out.result(result, () => renderRun(cli.out, result));
      } finally {
        detach();
      }
    };
    // a database that does not exist yet is checked and planned in memory: a refusal must not leave a new file behind
    const fresh = !existsSync(dbPath);
    await cli.withFramework(open(fresh ? ':memory:' : dbPath), async (checked) => {
      // another tool's history is adopted before planning; a dry run adopts it on an in-memory copy
      let adopted: { framework: MigrationFramework; adoption: ToolAdoption | null } = { framework: checked, adoption: null };
      if (!fresh && options.dryRun) adopted = await adoptedCopy(checked, (db) => cli.openFramework(open(db)));
      else if (!fresh) adopted.adoption = await checked.migrationService.adoptToolHistory();
      if (adopted.adoption && !cli.out.json) renderAdoption(cli.out, adopted.adoption);
      if (!fresh && options.wal && !options.dryRun) await switchToWal(checked);
      const plan = options.dryRun ? false : await confirmedPlan(cli, adopted.framework, target);
      if (fresh && !options.dryRun) await cli.withFramework(open(dbPath), (framework) => run(framework, plan));
      else await run(adopted.framework, plan, adopted.adoption);
    });
    if (!options.dryRun) await writeSchemaFile(cli);
  });
}

/**
 * `--wal`: switches the database to WAL, where the readers of a run (backup, integrity check,
 * validation) never stop the application's commits. Journal modes are persistent, so the
 * database stays in WAL; mfmig never switches it without being asked.
 */
async function switchToWal(framework: MigrationFramework): Promise<void> {
  const conn = framework.context.connection;
  const mode = await conn.setJournalMode('wal');
  if (mode !== 'wal') {
    throw new MfmigError('WAL_UNAVAILABLE', `Database ${conn.target} cannot switch to WAL journal mode (it stays in ${mode} mode); run without --wal`, {
      context: { file: conn.target, journalMode: mode },
    });
  }
}

/**
 * Shows the plan before a real run. An existing database with tables but no history is refused
 * first (ADOPTION_REQUIRED, exit 3, nothing changed): it needs `mfmig baseline`. A plan whose
 * rehearsal failed is refused, `--yes` or not (REHEARSAL_FAILED, exit 3, nothing changed). A high
 * or critical plan asks for confirmation on a terminal and needs `--yes` otherwise
 * (RISK_NOT_ACCEPTED, exit 3, nothing changed).
 */
export async function confirmedPlan(cli: CliRuntime, framework: MigrationFramework, target: MigrationTarget): Promise<MigrationPlan | false> {
  const migrator = await framework.context.migrator();
  await assertDatabaseIntact(framework.context.connection);
  await assertAdopted(framework.context);
  if (migrator.pendingSteps(target).length === 0) return false;
  const plan = await framework.planner.createPlan(target);
  if (!cli.out.json) {
    renderPlan(cli.out, plan);
    cli.out.line();
  }
  assertRehearsalPassed(plan);
  await confirmRisk(
    cli,
    plan.riskLevel,
    `This plan is ${plan.riskLevel} risk. Migrate?`,
    `The plan to ${describe(target)} is ${plan.riskLevel} risk (${plan.riskReasons[0] ?? 'see mfmig plan'}); review it with \`mfmig plan\` and rerun with --yes to accept it`,
  );
  return plan;
}

function describe(target: MigrationTarget): string {
  if ('version' in target) return `version ${target.version}`;
  if ('mvp' in target) return `MVP${target.mvp}`;
  return 'the latest version';
}
