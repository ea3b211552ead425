import { type MigrationSet, computeStatus, isMfmigError, messageOf } from '@mfmig/core';
import {
  DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS,
  type MigrationPlanInput,
  type PostgresValidationDocument,
  PostgresRun,
  type ValidationFinding,
  buildReport,
  checkHistory,
  checkPlanRisk,
  checkPlanSteps,
  checkRolledBack,
  parseMigrationPlan,
  planInvalid,
  postgresDocument,
  readPostgresHistory,
} from '@mfmig/validation';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';

/**
 * `validateMigrationPlan` on PostgreSQL: the plan against the migrations folder and the history,
 * with SQLite's checks and codes (`checkPlanSteps`: `PLAN_TARGET_UNKNOWN`, `PLAN_STALE`,
 * `PLAN_STEP_UNKNOWN`, ..., `PLAN_INCOMPLETE`; `history.status`; `PLAN_HIGH_RISK`). A plan that
 * is not a plan is reported as `PLAN_INVALID`, not thrown. The disk space a plan declares is not
 * compared with free space: the server's disk is not visible from a client, so that part of
 * `plan.resources` is listed as skipped (`not-applicable`). The schema is not checked (`drift` is
 * not checked either). Reads the history on a read-only session; writes nothing.
 *
 * @example
 * const plan = await framework.planner.createComprehensiveMigrationPlan(3, { rehearse: false });
 * const report = await validatePostgresMigrationPlan(ctx, plan);
 * report.isValid; report.errors.map((f) => f.code); // ['PLAN_STALE', ...] when the schema moved since
 */
export async function validatePostgresMigrationPlan(ctx: PostgresFrameworkContext, plan: MigrationPlanInput): Promise<PostgresValidationDocument> {
  const startedAt = performance.now();
  const parsed = parseMigrationPlan(plan);
  const { migrations, unavailable } = await validationFolder(ctx);
  const run = new PostgresRun(ctx.validationTimeout ?? DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS);
  try {
    const { database, read } = await ctx.session('read', async (conn) => ({ database: conn.target, read: await readPostgresHistory(run, conn) }));
    const history = read?.entries;
    const status = migrations && history ? computeStatus(migrations, history) : null;
    const currentMvp = status && history && history.length > 0 ? status.currentMvp : null;
    if (status) await checks(run, 'history.status', 'history', () => checkHistory(status));
    if (!parsed.ok) run.findings.push(planInvalid(parsed.message));
    else if (!migrations) run.skip('plan.steps', 'plan', 'no-migrations', unavailable);
    else if (!history) run.skip('plan.steps', 'plan', run.timedOut ? 'timeout' : 'error', 'the history could not be read');
    else await checks(run, 'plan.steps', 'plan', () => checkPlanSteps(parsed.plan, migrations, { currentMvp, history }));
    if (parsed.ok) {
      await checks(run, 'plan.resources', 'plan', () => checkPlanRisk(parsed.plan));
      if (parsed.plan.storageRequired !== null) {
        run.skip(
          'plan.resources',
          'plan',
          'not-applicable',
          "the disk space the plan needs is not checked: the server's disk is not visible from a client",
          'disk',
        );
      }
    }
    run.finish();
    const report = buildReport({
      operation: 'plan',
      level: 'standard',
      database,
      startedAt,
      findings: run.findings,
      checksRun: run.checksRun,
      checksSkipped: run.checksSkipped,
      milestone: { current: currentMvp, compliance: [] },
    });
    const drift = { hasDrift: false, version: null, expectedHash: null, actualHash: null, notChecked: 'a plan is checked against the history, not the schema' };
    return postgresDocument(report, { read, status, migrations, drift });
  } finally {
    run.dispose();
  }
}

/**
 * `report` (what `performComprehensiveValidation` found just now) as `validateRollbackResult`'s:
 * operation `rollback`, plus SQLite's `rollback.history` check (`checkRolledBack`): every applied
 * version above `targetVersion` is `ROLLBACK_INCOMPLETE` (critical, so `isValid` is false), and a
 * target the folder does not have is `ROLLBACK_TARGET_UNKNOWN`. Reads the history on a read-only
 * session of its own.
 *
 * @example
 * const report = await withPostgresRollbackCheck(ctx, await framework.validation.performComprehensiveValidation(), 2);
 * report.operation; // 'rollback'
 * report.errors.map((f) => f.code); // ['ROLLBACK_INCOMPLETE'] while version 3 is still applied
 */
export async function withPostgresRollbackCheck(
  ctx: PostgresFrameworkContext,
  report: PostgresValidationDocument,
  targetVersion: number,
): Promise<PostgresValidationDocument> {
  const startedAt = performance.now() - report.durationMs;
  const { migrations } = await validationFolder(ctx);
  const run = new PostgresRun(ctx.validationTimeout ?? DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS);
  try {
    const found = await run.attempt('rollback.history', 'history', () =>
      ctx.session('read', async (conn) =>
        checkRolledBack({ migrations, history: (await conn.history.exists()) ? await conn.history.list() : [] }, targetVersion),
      ),
    );
    if (found) run.findings.push(...found);
    run.finish();
    const {
      level: _level,
      database: _database,
      ...rebuilt
    } = buildReport({
      operation: 'rollback',
      level: 'standard',
      database: report.database,
      startedAt,
      findings: [...report.errors, ...report.warnings, ...run.findings],
      checksRun: [...report.checksRun, ...run.checksRun],
      checksSkipped: [...report.checksSkipped, ...run.checksSkipped],
      milestone: report.milestone,
      statistics: report.statistics,
    });
    return { ...report, ...rebuilt, preExisting: report.preExisting, valid: rebuilt.isValid };
  } finally {
    run.dispose();
  }
}

/** One check that returns its findings, recorded under `id`. */
async function checks(run: PostgresRun, id: string, kind: 'history' | 'plan', fn: () => ValidationFinding[]): Promise<void> {
  const found = await run.attempt(id, kind, async () => fn());
  if (found) run.findings.push(...found);
}

/**
 * The migrations folder as validation reads it: module files are not imported; one that cannot
 * be read skips the checks that need it (a missing folder is still `MIGRATIONS_NOT_FOUND`).
 *
 * @example
 * const { migrations, unavailable } = await validationFolder(framework.context);
 */
export async function validationFolder(ctx: PostgresFrameworkContext): Promise<{ migrations: MigrationSet | null; unavailable: string }> {
  try {
    return { migrations: await ctx.migrations('metadata'), unavailable: '' };
  } catch (error) {
    if (isMfmigError(error) && error.code === 'MIGRATIONS_NOT_FOUND') throw error;
    return { migrations: null, unavailable: `the migrations folder could not be loaded: ${messageOf(error)}` };
  }
}
