import { type LiveState, liveStatus } from '../live-state.js';
import type { StageRunner } from '../execute/execute-rollback-plan.js';
import { type DatabaseIdentity, MfmigError, type RunResult, failureOf, isMfmigError, messageOf, checkDatabaseFile } from '@mfmig/core';
import type { BackupRecord } from '../backup/backup-manifest.js';
import { listBackups, scanBackups } from '../backup/backup-registry.js';
import { type BackupVerification, verifyBackup } from '../backup/verify-backup.js';
import { type BackupSummary, summariseBackup } from '../plan/rollback-plan.js';
import { findLastRun } from './last-run.js';

/** The emergencies `executeEmergencyRollback` handles. */
export type EmergencyType = 'corruption' | 'failed-migration' | 'data-loss' | 'performance';

/**
 * The emergency types, for validating input.
 *
 * @example
 * if (!EMERGENCY_TYPES.includes(arg as EmergencyType)) throw new Error(`unknown type ${arg}`);
 */
export const EMERGENCY_TYPES: readonly EmergencyType[] = ['corruption', 'failed-migration', 'data-loss', 'performance'];

/** What an emergency rollback did. */
export interface EmergencyRollbackResult {
  type: EmergencyType;
  success: boolean;
  actionsPerformed: string[];
  /** The version the database is at afterwards (null when it could not be read). */
  restoredToVersion: number | null;
  /** Who to tell (config `emergencyContacts`, env `EMERGENCY_CONTACTS`). */
  emergencyContacts: string[];
  backupUsed: BackupSummary | null;
  /** Where the replaced live file was kept, when a backup was restored. */
  savedAside: string | null;
  durationMs: number;
  error?: Error;
}

/** What an emergency needs from the rollback manager; it works from file paths when the database cannot be opened. */
export interface EmergencyEnvironment {
  livePath: string;
  backupPath: string;
  /** The live database: only its own backups are considered. */
  database: DatabaseIdentity;
  contacts: string[];
  safetyChecks: boolean;
  /** The live database, or why it cannot be used. */
  tryState(): Promise<LiveState | Error>;
  /** Replaces the live file with a verified backup, keeping the old one aside (untouched when `damaged`); reopens. */
  restore(backup: BackupRecord, verification: BackupVerification, reason: string, damaged: boolean): Promise<{ savedAside: string | null }>;
  /** Runs with preservation on and without the automatic pre-run backup (see `StageRunner`). */
  run<T>(preserve: boolean, fn: (runner: StageRunner) => Promise<T>): Promise<T>;
}

/**
 * The fastest safe path back to the last verified good state, with minimal validation:
 * - `corruption`: restore the newest backup whose checksum and integrity verify (the damaged file is kept aside);
 * - `failed-migration`: revert the last run (partial migrations included) to where it started, or restore its pre-run backup when that fails;
 * - `data-loss`: keep the current file aside and restore the newest verified backup;
 * - `performance`: revert the last run's migrations.
 * Only the database's own backups are considered (see `backupBelongsTo`); another database's
 * backup is never restored, however recent. With `rollbackSafetyChecks` on, backups are verified with `integrity_check` (else `quick_check`)
 * and `corruption` refuses a live database that passes its integrity check.
 * When it stops (a refusal included), it throws an `MfmigError` whose `result` is this result with
 * `success: false` and every action taken, so that an operator still reads what was done.
 *
 * @example
 * const r = await executeEmergencyRollback(env, 'corruption');
 * console.log(r.actionsPerformed, r.restoredToVersion, r.emergencyContacts);
 */
export async function executeEmergencyRollback(env: EmergencyEnvironment, type: EmergencyType): Promise<EmergencyRollbackResult> {
  const started = performance.now();
  const result = startEmergency(type, env.contacts);
  try {
    if (type === 'corruption') await recoverFromCorruption(env, result);
    else if (type === 'data-loss') await restoreNewestVerified(env, result, 'data-loss');
    else await revertLastRun(env, result, type);
    result.success = true;
  } catch (error) {
    result.error = error as Error;
    result.actionsPerformed.push(`stopped: ${messageOf(error)}`);
  }
  const after = checkDatabaseFile(env.livePath, 'quick');
  result.actionsPerformed.push(`checked the live database: quick_check ${after.ok ? 'ok' : after.result}`);
  const state = await env.tryState();
  result.restoredToVersion = state instanceof Error ? null : (await liveStatus(state)).currentVersion;
  result.durationMs = performance.now() - started;
  if (!result.success) throw failureOf(result, 'ROLLBACK_FAILED', 'The emergency rollback did not finish');
  return result;
}

async function recoverFromCorruption(env: EmergencyEnvironment, result: EmergencyRollbackResult): Promise<void> {
  const live = checkDatabaseFile(env.livePath, env.safetyChecks ? 'full' : 'quick');
  result.actionsPerformed.push(`checked the live database: ${live.ok ? 'no corruption found' : live.result}`);
  if (live.ok && env.safetyChecks) {
    throw new MfmigError(
      'RISK_NOT_ACCEPTED',
      'The live database passes its integrity check: nothing was restored (use `data-loss` to go back to the last backup anyway, or turn ROLLBACK_SAFETY_CHECKS off)',
    );
  }
  await restoreNewestVerified(env, result, 'corrupt');
}

async function restoreNewestVerified(env: EmergencyEnvironment, result: EmergencyRollbackResult, reason: string, only?: BackupRecord[]): Promise<void> {
  let candidates: BackupRecord[];
  if (only) candidates = [...only];
  else {
    // a bad entry (a link, a FIFO, an unreadable manifest) is passed over and said, never opened
    const scan = scanBackups(env.backupPath, { includeCheckpoints: true, database: env.database });
    for (const s of scan.skipped) result.actionsPerformed.push(`skipped backup entry ${s.id ?? s.manifestPath}: ${s.manifestPath} ${s.problem}`);
    candidates = scan.backups.filter((b) => b.kind !== 'saved-aside');
  }
  candidates.reverse();
  for (const backup of candidates) {
    const check = await verifyBackup(backup, env.safetyChecks ? 'full' : 'quick');
    if (!check.ok) {
      result.actionsPerformed.push(`skipped backup ${backup.id}: ${check.problem}`);
      continue;
    }
    result.actionsPerformed.push(
      `verified backup ${backup.id} (version ${backup.version}, ${backup.createdAt}): sha256 and ${check.integrity?.level === 'full' ? 'integrity_check' : 'quick_check'} ok`,
    );
    const { savedAside } = await env.restore(backup, check, reason, reason === 'corrupt');
    result.savedAside = savedAside;
    result.backupUsed = summariseBackup(backup);
    result.actionsPerformed.push(`restored backup ${backup.id} over ${env.livePath}${savedAside ? `; the replaced file is kept at ${savedAside}` : ''}`);
    return;
  }
  throw new MfmigError(
    'BACKUP_INVALID',
    `No backup of ${env.database.path} in ${env.backupPath} verifies (${candidates.length} checked); the live database was left as it is`,
  );
}

async function revertLastRun(env: EmergencyEnvironment, result: EmergencyRollbackResult, type: EmergencyType): Promise<void> {
  const state = await env.tryState();
  const backups = ownBackups(env, false);
  if (state instanceof Error) {
    result.actionsPerformed.push(`the live database cannot be opened (${state.message}); falling back to the newest verified backup`);
    return restoreNewestVerified(env, result, type);
  }
  const run = findLastRun(await state.connection.history.list(), backups);
  if (!run || (run.versions.length === 0 && (await liveStatus(state)).currentVersion <= run.fromVersion)) {
    result.actionsPerformed.push('found no migration run to revert: the database is where the last run started');
    return;
  }
  result.actionsPerformed.push(
    `found the last run${run.runId ? ` ${run.runId}` : ''}: versions ${run.versions.join(', ') || 'none'} applied since version ${run.fromVersion}`,
  );
  let reverted: RunResult | undefined;
  try {
    reverted = await env.run(true, (m) => m.rollback({ version: run.fromVersion }, { command: `emergency-rollback ${type}` }));
  } catch (error) {
    if (!isMfmigError(error)) throw error;
    reverted = undefined;
    result.actionsPerformed.push(`reverting failed: ${error.message}`);
  }
  if (reverted && !reverted.error) {
    const preserved = reverted.extras.preserved?.length ?? 0;
    result.actionsPerformed.push(
      `reverted ${reverted.results.filter((r) => r.status === 'Success').length} migration(s) to version ${reverted.toVersion}${preserved ? `, archiving dropped data in ${preserved} archive table(s)` : ''}`,
    );
    return;
  }
  if (reverted?.error) result.actionsPerformed.push(`reverting stopped at version ${reverted.toVersion}: ${reverted.error.message}`);
  if (!run.preRunBackup) throw new MfmigError('ROLLBACK_FAILED', `The last run cannot be reverted and no pre-run backup of it exists`);
  result.actionsPerformed.push(`falling back to the run's pre-run backup ${run.preRunBackup.id}`);
  await restoreNewestVerified(env, result, type, [run.preRunBackup]);
}

function ownBackups(env: EmergencyEnvironment, includeCheckpoints: boolean): BackupRecord[] {
  return listBackups(env.backupPath, { includeCheckpoints, database: env.database });
}

/**
 * The result an emergency rollback of `type` starts from (nothing done yet); an unknown type is
 * refused with `USAGE`. Shared by both dialects' emergency rollbacks.
 *
 * @example
 * const result = startEmergency('data-loss', ['ops@example.com']);
 */
export function startEmergency(type: EmergencyType, contacts: string[]): EmergencyRollbackResult {
  if (!EMERGENCY_TYPES.includes(type)) {
    throw new MfmigError('USAGE', `Unknown emergency type "${String(type)}"; use one of ${EMERGENCY_TYPES.join(', ')}`);
  }
  return {
    type,
    success: false,
    actionsPerformed: [],
    restoredToVersion: null,
    emergencyContacts: contacts,
    backupUsed: null,
    savedAside: null,
    durationMs: 0,
  };
}
