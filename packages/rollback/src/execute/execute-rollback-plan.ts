import { type DialectLock, MfmigError, type MigrationResultItem, failureOf, type RunResult, wrapSqliteError } from '@mfmig/core';
import { type LiveState, liveHistoryFingerprint, liveStatus } from '../live-state.js';
import type { BackupRecord } from '../backup/backup-manifest.js';
import type { RemovedBackup } from '../backup/backup-registry.js';
import type { PreservedData } from '../preservation/archive-writer.js';
import type { RestoredArchive } from '../preservation/archive-restorer.js';
import { type BackupSummary, type RollbackPlan, type RollbackStage, summariseBackup } from '../plan/rollback-plan.js';
import { migrationsFingerprint } from '../plan/step-analysis.js';
import { type RollbackValidator, type StageValidation, validateStage } from './stage-validation.js';

/** Options of `executeRollbackPlan`. */
export interface ExecuteRollbackOptions {
  /** Archive every row a down drops before it runs, in the same transaction. Default true. */
  preserveUserData?: boolean;
  /** Validate between stages (true, the default), not at all (false), or also with a custom validator. */
  validateRollback?: boolean | RollbackValidator;
  /** Take (and, with safety checks, verify) a backup before the first down. Default true. */
  backup?: boolean;
  signal?: AbortSignal;
  /** A run lock the caller holds across this rollback and what follows it (see the migrator's `RunOptions.heldLock`). */
  heldLock?: DialectLock;
}

/**
 * What executing a plan did. Returned when it succeeded; when a stage failed, it is the `result`
 * of the thrown `MfmigError`, with `success: false`, `error`, `stopped` and where it went back to.
 */
export interface RollbackExecutionResult {
  success: boolean;
  planId: string;
  strategy: RollbackPlan['strategy'];
  fromVersion: number;
  targetVersion: number;
  /** Where the database is now. */
  toVersion: number;
  stagesCompleted: number;
  steps: Pick<MigrationResultItem, 'version' | 'name' | 'mvp' | 'direction' | 'status' | 'durationMs'>[];
  preserved: PreservedData[];
  /** Archived rows put back while returning to the last good milestone after a failure. */
  restored: RestoredArchive[];
  validations: StageValidation[];
  /** The backup taken before the rollback. */
  backup: BackupSummary | null;
  /** The older backups retention removed after that backup was taken. */
  removedByRetention: RemovedBackup[];
  /** The backup restored by a `full-restore` plan. */
  restoredFrom: BackupSummary | null;
  /** Where the live file a `full-restore` replaced was kept (null when nothing was restored). */
  savedAside: string | null;
  /** Where and why a staged rollback stopped, and the milestone version it went back to. */
  stopped: { atVersion: number; reason: string; returnedToVersion: number } | null;
  durationMs: number;
  error?: Error;
}

/** What execution needs from the rollback manager. */
export interface ExecutionEnvironment {
  /** The live database (a new connection after a restore). */
  live(): Promise<LiveState>;
  safetyChecks: boolean;
  integrityLevel: 'quick' | 'full';
  /** Takes the pre-rollback backup (and reports what retention removed after it). */
  backup(): Promise<BackupRecord & { removedByRetention?: RemovedBackup[] }>;
  /** Restores one of the database's backups; returns where the replaced file was kept. */
  restore(backupId: string): Promise<{ savedAside: string | null }>;
  /** Runs the stages' runs with preservation on or off and without the automatic pre-run backup. */
  run<T>(preserve: boolean, fn: (runner: StageRunner) => Promise<T>): Promise<T>;
}

/** Options of one run of a {@link StageRunner}. */
export interface StageRunOptions {
  signal?: AbortSignal;
  command: string;
  /** The run lock the caller holds across the rollback (a redo). */
  heldLock?: DialectLock;
}

/**
 * What runs the rollback manager's own runs (a rollback's stages and the way back up after a
 * failed one, a checkpoint's resume, an emergency rollback's downs): the context's `Migrator`, or
 * `DialectMigrator` over its SQLite connection with the participants the manager was given
 * (`RollbackManagerOptions.participants`).
 */
export interface StageRunner {
  migrate(target: { version: number }, options: StageRunOptions): Promise<RunResult>;
  rollback(target: { version: number }, options: StageRunOptions): Promise<RunResult>;
}

/**
 * Carries out a rollback plan stage by stage. With safety checks on, the plan must still match
 * the database, the live file must pass its integrity check and the pre-rollback backup must
 * verify before anything runs. After each stage, integrity, foreign keys and the history are
 * validated (plus the custom validator); the first failure takes the database back up to the
 * last good milestone and throws, with this result (`success: false`) as the error's `result`.
 * A refusal before anything ran throws without one.
 *
 * @example
 * const result = await executeRollbackPlan(env, plan, { preserveUserData: true });
 * result.preserved; // [{ table: 'incidents', columns: [...], rows: 120, location: 'mfmig_archive_3_incidents' }]
 */
export async function executeRollbackPlan(
  env: ExecutionEnvironment,
  plan: RollbackPlan,
  options: ExecuteRollbackOptions = {},
): Promise<RollbackExecutionResult> {
  const started = performance.now();
  let live = await env.live();
  await assertPlanCurrent(live, plan);
  const result = blankExecutionResult({
    planId: plan.id,
    strategy: plan.strategy,
    fromVersion: plan.fromVersion,
    targetVersion: plan.targetVersion,
    toVersion: plan.fromVersion,
  });
  if (plan.strategy === 'full-restore') {
    if (!plan.backup) {
      throw new MfmigError(
        'NO_DOWN_MIGRATION',
        `The rollback to version ${plan.targetVersion} needs a full restore, and no verified backup at that version exists; ${plan.warnings[0] ?? ''}`.trim(),
      );
    }
    const { savedAside } = await env.restore(plan.backup.id);
    live = await env.live();
    return finish(result, live, started, { restoredFrom: plan.backup, savedAside, stagesCompleted: plan.stages.length, success: true });
  }
  if (plan.steps.length === 0) return finish(result, live, started, { success: true });
  if (env.safetyChecks) await assertLiveSound(live, env.integrityLevel);
  const baselineViolations = await live.connection.foreignKeyViolationCount();
  if (options.backup !== false) {
    const backup = await env.backup();
    result.backup = summariseBackup(backup);
    result.removedByRetention = backup.removedByRetention ?? [];
    if (env.safetyChecks && !backup.integrity.verified) {
      throw new MfmigError(
        'BACKUP_INVALID',
        `The backup taken before the rollback (${backup.id}) did not verify: ${backup.integrity.result ?? 'not checked'}; nothing was rolled back`,
      );
    }
  }
  const preserve = options.preserveUserData !== false;
  const validator = typeof options.validateRollback === 'function' ? options.validateRollback : undefined;
  const validate = options.validateRollback !== false;
  for (const stage of plan.stages) {
    const run = await env.run(preserve, (m) =>
      m.rollback({ version: stage.toVersion }, { signal: options.signal, command: `rollback to ${plan.targetVersion}`, heldLock: options.heldLock }),
    );
    result.steps.push(...run.results.map(({ version, name, mvp, direction, status, durationMs }) => ({ version, name, mvp, direction, status, durationMs })));
    result.preserved.push(...(run.extras.preserved ?? []));
    let failure = run.error?.message;
    if (!failure && validate) {
      const validation = await validateStage(live, stage, { baselineViolations, level: env.integrityLevel, validator });
      result.validations.push(validation);
      if (!validation.ok)
        failure = `validation after MVP${stage.mvp} failed: ${validation.checks
          .filter((c) => !c.ok)
          .map((c) => `${c.name} (${c.detail})`)
          .join(', ')}`;
    }
    if (failure) {
      result.error = run.error ?? new MfmigError('VALIDATION_FAILED', `Rollback stopped: ${failure}`);
      await returnToLastGood(env, stage, result, failure, options.heldLock);
      throw failureOf(await finish(result, live, started, {}), 'ROLLBACK_FAILED', 'The rollback did not finish');
    }
    result.stagesCompleted++;
  }
  return finish(result, live, started, { success: true });
}

/**
 * A rollback result where nothing has happened yet: no step, nothing preserved, no backup.
 *
 * @example
 * const result = blankExecutionResult({ planId: plan.id, strategy: plan.strategy, fromVersion: 7, targetVersion: 4, toVersion: 7 });
 */
export function blankExecutionResult(
  at: Pick<RollbackExecutionResult, 'planId' | 'strategy' | 'fromVersion' | 'targetVersion' | 'toVersion'>,
): RollbackExecutionResult {
  return {
    success: false,
    ...at,
    stagesCompleted: 0,
    steps: [],
    preserved: [],
    restored: [],
    validations: [],
    backup: null,
    removedByRetention: [],
    restoredFrom: null,
    savedAside: null,
    stopped: null,
    durationMs: 0,
  };
}

/** Takes the database back up to where the failed stage started: the last good milestone. */
async function returnToLastGood(
  env: ExecutionEnvironment,
  stage: RollbackStage,
  result: RollbackExecutionResult,
  reason: string,
  heldLock: DialectLock | undefined,
): Promise<void> {
  const atVersion = (await liveStatus(await env.live())).currentVersion;
  const back = await env.run(true, (m) =>
    m.migrate({ version: stage.fromVersion }, { command: `return to version ${stage.fromVersion} after a failed rollback stage`, heldLock }),
  );
  result.restored.push(...(back.extras.restored ?? []));
  result.stopped = { atVersion, reason, returnedToVersion: back.toVersion };
  if (back.error) {
    result.error = new MfmigError(
      'ROLLBACK_FAILED',
      `Rollback stopped (${reason}), and returning to version ${stage.fromVersion} failed too: ${back.error.message}; restore backup ${result.backup?.id ?? '(none taken)'}`,
      {
        cause: back.error,
      },
    );
  }
}

async function finish(
  result: RollbackExecutionResult,
  live: LiveState,
  started: number,
  change: Partial<RollbackExecutionResult>,
): Promise<RollbackExecutionResult> {
  Object.assign(result, change);
  try {
    result.toVersion = (await liveStatus(live)).currentVersion;
  } catch {
    // the connection was replaced by a restore; toVersion stays as reported
  }
  result.durationMs = performance.now() - started;
  return result;
}

async function assertPlanCurrent(live: LiveState, plan: RollbackPlan): Promise<void> {
  const status = await liveStatus(live);
  const stale =
    status.currentVersion !== plan.fromVersion ||
    (await liveHistoryFingerprint(live)) !== plan.historyFingerprint ||
    migrationsFingerprint(live.migrations) !== plan.migrationsFingerprint;
  if (stale) {
    throw new MfmigError(
      'RISK_NOT_ACCEPTED',
      `Rollback plan ${plan.id} was made for another state (version ${plan.fromVersion}; the database is at ${status.currentVersion}, or the history or migrations changed since); create a new plan`,
      {
        context: { reason: 'plan-stale' },
      },
    );
  }
}

async function assertLiveSound(live: LiveState, level: 'quick' | 'full'): Promise<void> {
  let problems: string[];
  try {
    problems = await live.connection.checkIntegrity(level, 5);
  } catch (error) {
    throw wrapSqliteError(error, 'DATABASE_CORRUPT', 'The live database cannot be checked before the rollback');
  }
  if (problems.length > 0) {
    throw new MfmigError(
      'DATABASE_CORRUPT',
      `The live database fails its integrity check (${problems.join('; ')}); nothing was rolled back — use \`mfmig emergency-rollback corruption\``,
    );
  }
}
