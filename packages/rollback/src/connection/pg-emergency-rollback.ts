import { type DialectMigrator, type LockWaitPolicy, MfmigError, type PostgresConnection, failureOf, messageOf } from '@mfmig/core';
import { type EmergencyRollbackResult, type EmergencyType, startEmergency } from '../emergency/emergency-rollback.js';
import type { BackupSummary } from '../plan/rollback-plan.js';
import { listPgCheckpoints } from './pg-checkpoint.js';
import { type PgDumpBackup, findPgDumpBackup } from './pg-dump-registry.js';
import { revertLastPostgresRun } from './pg-last-run.js';
import { restoreNewestPgDumpBackup } from './pg-newest-restore.js';
import { postgresSchemaDamage } from './pg-schema-damage.js';

/** What {@link executePostgresEmergencyRollback} needs besides the connection and the migrator. */
export interface PostgresEmergencyOptions {
  /** The pg_dump backup folder (the CLI's is `postgres/` in its backup folder). */
  folder: string;
  /** Who to tell, copied to the result. Default: none. */
  contacts?: string[];
  /** Default true: `corruption` refuses a schema the catalog checks find no damage in. */
  safetyChecks?: boolean;
  /** How long a restore waits for the schema's tables, and how often it tries again (see `PgDumpRestoreOptions.lockWait`). */
  lockWait?: Partial<LockWaitPolicy>;
  signal?: AbortSignal;
}

/**
 * The PostgreSQL form of `RollbackManager.executeEmergencyRollback`, with the same result and the
 * same contract: when it stops, a refusal included, it throws an `MfmigError` whose `result` is
 * the result with `success: false` and every action taken.
 * - `corruption`: when the catalog checks find damage (see {@link postgresSchemaDamage}), dumps
 *   the schema aside and restores the newest verified pg_dump backup; with `safetyChecks` on, a
 *   schema without damage is refused (`RISK_NOT_ACCEPTED`);
 * - `failed-migration`, `performance`: reverts the last run by its downs (the rows they drop
 *   archived when `m` has the preservation participant), or restores its checkpoint when they fail
 *   (see {@link revertLastPostgresRun});
 * - `data-loss`: dumps the schema aside (`savedAside` is that backup's id), then restores the
 *   newest verified pg_dump backup.
 * Only this database's and schema's backups are candidates; a backup is verified (sha256,
 * `pg_restore --list`) before anything is written. `m` must have the migrations' modules loaded
 * for the two types that run downs. Whether to go ahead on a sound schema is the caller's
 * question: {@link soundPostgresSchema} answers it.
 *
 * @example
 * const m = new DialectMigrator({ connection: conn, migrations, participants: [createConnectionPreservation({ enabled: true })] });
 * const result = await executePostgresEmergencyRollback(url, conn, m, 'performance', { folder: './backups/postgres' });
 * console.log(result.actionsPerformed, result.restoredToVersion);
 */
export async function executePostgresEmergencyRollback(
  url: string,
  conn: PostgresConnection,
  m: DialectMigrator,
  type: EmergencyType,
  options: PostgresEmergencyOptions,
): Promise<EmergencyRollbackResult> {
  const started = performance.now();
  const result = startEmergency(type, options.contacts ?? []);
  const actions = result.actionsPerformed;
  const onAction = (line: string) => actions.push(line);
  try {
    if (type === 'corruption') await restoreNewest(url, conn, m, options, result, await damageOrRefuse(conn, options.safetyChecks ?? true, actions));
    else if (type === 'data-loss') await restoreNewest(url, conn, m, options, result, 'the live schema');
    else {
      const checkpoint = await revertLastPostgresRun(url, conn, m, {
        folder: options.folder,
        type,
        onAction,
        lockWait: options.lockWait,
        signal: options.signal,
      });
      if (checkpoint) result.backupUsed = summarise(options.folder, m, findPgDumpBackup(options.folder, checkpoint.backupId));
    }
    result.success = true;
  } catch (error) {
    result.error = error as Error;
    onAction(`stopped: ${messageOf(error)}`);
  }
  const after = await postgresSchemaDamage(conn);
  onAction(`checked the schema: catalog checks ${after.damage.length === 0 ? 'ok' : after.damage.join('; ')}`);
  result.restoredToVersion = await m.status().then(
    (s) => s.currentVersion,
    () => null,
  );
  result.durationMs = performance.now() - started;
  if (!result.success) throw failureOf(result, 'ROLLBACK_FAILED', 'The emergency rollback did not finish');
  return result;
}

/**
 * Why the schema counts as sound (a phrase), or null when it does not: it exists, the catalog
 * checks find no damage, and no migration is recorded as failed, partly applied or left applied
 * by a failed run. Reads only. A caller asks before an emergency rollback of a sound schema.
 *
 * @example
 * const sound = await soundPostgresSchema(conn, m);
 * if (sound && !(await confirm(`The schema looks sound (${sound}). Go on?`))) return;
 */
export async function soundPostgresSchema(conn: PostgresConnection, m: DialectMigrator): Promise<string | null> {
  try {
    if (!(await conn.hasSchema())) return null;
    if ((await postgresSchemaDamage(conn)).damage.length > 0) return null;
    const status = await m.status();
    if (status.problems.some((p) => p.code === 'PARTIAL' || p.code === 'MIGRATION_FAILED' || p.code === 'RUN_NOT_REVERTED')) return null;
    return `catalog checks ok, version ${status.currentVersion}, no failed or partly applied migration`;
  } catch {
    // it cannot be read: the emergency is real
    return null;
  }
}

/** `corruption`: what is damaged, as a phrase; refused when nothing is and the safety checks are on. */
async function damageOrRefuse(conn: PostgresConnection, safetyChecks: boolean, actions: string[]): Promise<string> {
  const { damage, notes } = await postgresSchemaDamage(conn);
  actions.push(`checked the schema: ${damage.length === 0 ? 'no damage found' : damage.join('; ')}`);
  for (const note of notes) actions.push(`not counted as damage: ${note}`);
  if (damage.length === 0 && safetyChecks) {
    throw new MfmigError(
      'RISK_NOT_ACCEPTED',
      'The schema passes the catalog checks: nothing was restored (use `data-loss` to go back to the last backup anyway, or turn ROLLBACK_SAFETY_CHECKS off)',
    );
  }
  return damage.length === 0 ? 'the live schema' : 'the damaged schema';
}

/** Keeps the schema aside, restores the newest verified backup, and records it in the audit log. */
async function restoreNewest(
  url: string,
  conn: PostgresConnection,
  m: DialectMigrator,
  options: PostgresEmergencyOptions,
  result: EmergencyRollbackResult,
  what: string,
): Promise<void> {
  const restored = await restoreNewestPgDumpBackup(conn, {
    url,
    schema: conn.schema,
    folder: options.folder,
    saveAside: `${what}, before emergency-rollback ${result.type}`,
    onAction: (line) => result.actionsPerformed.push(line),
    ...(options.lockWait ? { lockWait: options.lockWait } : {}),
  });
  result.backupUsed = summarise(options.folder, m, restored.backup);
  result.savedAside = restored.savedAside?.id ?? null;
  if (await conn.history.exists()) {
    const aside = restored.savedAside ? `; the replaced schema kept as pg_dump backup ${restored.savedAside.id}` : '';
    await conn.history.audit('restore', restored.restoredToVersion, `emergency-rollback ${result.type}: pg_dump backup ${restored.backup.id}${aside}`);
  }
}

/** A pg_dump backup as the result's `backupUsed` shows it (a backup of a checkpoint is of kind `checkpoint`). */
function summarise(folder: string, m: DialectMigrator, backup: PgDumpBackup): BackupSummary {
  const checkpoint = listPgCheckpoints(folder).some((c) => c.backupId === backup.id);
  const { id, path, createdAt, version, sizeBytes, sha256 } = backup;
  return {
    id,
    path,
    kind: checkpoint ? 'checkpoint' : 'manual',
    createdAt,
    version,
    milestone: m.migrations.byVersion.get(version)?.mvp ?? 0,
    sizeBytes,
    sha256,
    verified: true,
  };
}
