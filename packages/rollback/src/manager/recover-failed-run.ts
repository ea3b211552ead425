import { MfmigError, type RunResult, isMfmigError, messageOf } from '@mfmig/core';
import { type LiveState, liveStatus } from '../live-state.js';
import type { BackupRecord } from '../backup/backup-manifest.js';
import { type ExecuteRollbackOptions, type RollbackExecutionResult, blankExecutionResult } from '../execute/execute-rollback-plan.js';
import type { RollbackPlan } from '../plan/rollback-plan.js';
import { summariseBackup } from '../plan/rollback-plan.js';
import type { RestoreResult } from './restore-live-database.js';

/** The failed run to take back: where it started, and what it left (its error, its pre-run backup in `extras.backup`). */
export type FailedRun = Pick<RunResult, 'fromVersion'> & Partial<Pick<RunResult, 'toVersion' | 'runId' | 'error' | 'extras'>>;

/** What `recoverFailedRun` did: the rollback's result, and how the run was taken back. */
export type FailedRunRecovery = RollbackExecutionResult & {
  /** The rollback plan of the downs (null when planning it failed). */
  plan: RollbackPlan | null;
  /** `downs`: the run's downs reverted it; `pre-run-backup`: they failed, and its pre-run backup was restored. */
  revertedBy: 'downs' | 'pre-run-backup';
  /** Why the downs did not take the run back, when the backup did. */
  downsFailure: string | null;
};

/** What recovery needs from the rollback manager. */
export interface RecoveryEnvironment {
  rollbackTo(version: number, options: ExecuteRollbackOptions): Promise<RollbackExecutionResult & { plan: RollbackPlan }>;
  /** The run's pre-run backup, by the id its result carries or by its run id; null when none was taken. */
  preRunBackup(run: FailedRun): BackupRecord | null;
  /** Verifies and restores a backup over the live file, keeping the replaced file aside. */
  restore(backup: BackupRecord): Promise<RestoreResult>;
  /** The live database (a new connection after a restore). */
  live(): Promise<LiveState>;
}

/**
 * Takes a failed run back to the version it started from: by its downs first (rows they drop
 * are archived), and when those fail, by restoring its own pre-run backup, with the live file kept
 * aside (so the application's writes since the backup are not lost for good). Either way the
 * audit log says what happened, so `mfmig status` shows the failure. When neither works, the
 * audit log records the run as not reverted, `status` reports `RUN_NOT_REVERTED` as an error,
 * and `ROLLBACK_FAILED` is thrown.
 *
 * @example
 * const recovery = await recoverFailedRun(env, run); // recovery.revertedBy === 'pre-run-backup'
 */
export async function recoverFailedRun(env: RecoveryEnvironment, run: FailedRun, options: ExecuteRollbackOptions = {}): Promise<FailedRunRecovery> {
  const reason = run.error ? messageOf(run.error) : 'the run failed';
  let plan: RollbackPlan | null;
  let downsFailure: string;
  try {
    const reverted = await env.rollbackTo(run.fromVersion, { validateRollback: true, ...options });
    await record(env, run, reason, `reverted to version ${run.fromVersion} by its downs`, false);
    return { ...reverted, revertedBy: 'downs', downsFailure: null };
  } catch (error) {
    // any failure, a raw SQLite error from a down included: the backup is the way back
    plan = isMfmigError(error) ? ((error.result as { plan?: RollbackPlan } | undefined)?.plan ?? null) : null;
    downsFailure = messageOf(error);
  }
  const backup = env.preRunBackup(run);
  if (!backup) return notReverted(env, run, reason, `its downs failed (${downsFailure}) and it has no pre-run backup`);
  const started = performance.now();
  let restored: RestoreResult;
  try {
    restored = await env.restore(backup);
  } catch (error) {
    return notReverted(env, run, reason, `its downs failed (${downsFailure}) and its pre-run backup ${backup.id} could not be restored: ${messageOf(error)}`);
  }
  const aside = restored.savedAside ? `; the replaced file is kept as ${restored.savedAside.path}` : '';
  await record(env, run, reason, `its downs failed (${downsFailure}); its pre-run backup ${backup.id} was restored${aside}`, true);
  const toVersion = (await liveStatus(await env.live())).currentVersion;
  return {
    ...blankExecutionResult({
      planId: plan?.id ?? '',
      strategy: 'full-restore',
      fromVersion: run.toVersion ?? toVersion,
      targetVersion: run.fromVersion,
      toVersion,
    }),
    success: true,
    restoredFrom: summariseBackup(backup),
    savedAside: restored.savedAside?.path ?? null,
    durationMs: performance.now() - started,
    plan,
    revertedBy: 'pre-run-backup',
    downsFailure,
  };
}

/** The version the failure belongs to: the failed migration's own, or the run's last (post-migration validation). */
function failedVersion(run: FailedRun): number {
  const own = isMfmigError(run.error) ? run.error.context.version : undefined;
  return typeof own === 'number' ? own : (run.toVersion ?? run.fromVersion);
}

/**
 * Writes the failure where `status` reads it. A failed migration's own row was written by the
 * migrator, but a restore replaced the file that held it, and a post-migration validation
 * failure has none.
 */
async function record(env: RecoveryEnvironment, run: FailedRun, reason: string, how: string, fileReplaced: boolean): Promise<void> {
  const { history } = (await env.live()).connection;
  const version = failedVersion(run);
  const migratorRecorded = !fileReplaced && isMfmigError(run.error) && run.error.code === 'MIGRATION_FAILED';
  if (!migratorRecorded) await history.recordFailure(version, 'up', `${reason}; ${how}`);
  if (await history.exists()) await history.audit('run-recovered', run.fromVersion, `run ${run.runId ?? '?'} taken back to version ${run.fromVersion}: ${how}`);
}

async function notReverted(env: RecoveryEnvironment, run: FailedRun, reason: string, why: string): Promise<never> {
  try {
    const live = await env.live();
    await live.connection.history.recordNotReverted((await liveStatus(live)).currentVersion, `${reason}; ${why}`);
  } catch {
    // the database cannot be read: the error below still says what happened
  }
  throw new MfmigError('ROLLBACK_FAILED', `The failed run could not be taken back to version ${run.fromVersion}: ${why}`, {
    context: { version: run.fromVersion },
  });
}
