import type { DownTarget } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { ProgressReporter } from '../progress-reporter.js';
import { confirmRisk } from '../commands/confirm-risk.js';
import { migrator, open } from './postgres-commands.js';
import { renderReports } from './render-reports.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { planPostgresRollback } from '@mfmig/rollback';
import { renderPostgresRollbackPlan, rollbackPlanOptions } from './postgres-rollback-plan.js';

/**
 * `mfmig --db postgres://... rollback`: reverts to the target newest first, each down in its own
 * transaction with the removal of its history row; what a down drops is archived in the
 * `mfmig_archive` schema first (unless `--no-preserve-data`), and an up that re-creates the tables
 * puts it back.
 */
export async function rollbackPostgres(cli: CliRuntime, target: DownTarget, options: { preserveData: boolean; planOnly: boolean }): Promise<void> {
  if (options.planOnly) return showRollbackPlan(cli, target, options.preserveData);
  if (!options.preserveData) {
    await confirmRisk(
      cli,
      'high',
      'Roll back without keeping the rows the down migrations drop?',
      'A rollback with --no-preserve-data loses the rows the down migrations drop; rerun with --yes to accept that',
    );
  }
  const conn = await open(cli, { createSchema: false });
  try {
    const m = await migrator(cli, conn, { loadModules: true, preserve: options.preserveData });
    const detach = new ProgressReporter(cli.out).attach(m.events);
    let result;
    try {
      result = await m.rollback(target, { signal: cli.signal, command: 'mfmig rollback' });
    } finally {
      detach();
    }
    if (result.error) throw result.error;
    const preserved = result.reports.filter((r) => r.kind === 'preserved');
    const doc = {
      dialect: 'postgres',
      database: conn.target,
      success: true,
      fromVersion: result.fromVersion,
      toVersion: result.toVersion,
      durationMs: result.durationMs,
      migrations: result.results,
      preserved,
      reports: result.reports,
    };
    cli.out.result(doc, () => {
      for (const r of result.results) cli.out.line(`Reverted ${r.version} ${r.name} in ${Math.round(r.durationMs)} ms`);
      renderReports(cli.out, result.reports);
      cli.out.line(`Done: version ${result.fromVersion} -> ${result.toVersion}`);
    });
  } finally {
    await conn.close();
  }
}

/**
 * `rollback --plan-only` (and `redo --plan-only`) on PostgreSQL: the plan of the downs, rehearsed
 * on a sample in a scratch schema (see `planPostgresRollback`); the live schema is only read.
 * Exits 1 when the rollback is blocked (a step without a down, or a down that failed in the rehearsal).
 */
export async function showRollbackPlan(cli: CliRuntime, target: DownTarget, preserve: boolean): Promise<void> {
  const conn = await open(cli, { createSchema: false });
  try {
    const migrations = await loadPostgresMigrations(cli, 'import');
    const plan = await planPostgresRollback(cli.globals.db, conn, migrations, target, rollbackPlanOptions(cli, preserve));
    cli.out.result({ dialect: 'postgres', database: conn.target, ...plan }, () => renderPostgresRollbackPlan(cli, plan));
    if (plan.blocked) cli.exitCode = 1;
  } finally {
    await conn.close();
  }
}
