import { type DialectMigrator, type DialectRunResult, type MigrationTarget, type PostgresConnection, messageOf, resolveTargetVersion } from '@mfmig/core';
import { type PgCheckpoint, createPgCheckpoint, restorePgDumpBackup } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { pgBackupFolder } from './postgres-backup.js';

/**
 * `migrate --checkpoint` on PostgreSQL: a checkpoint of the schema before the run (a verified
 * `pg_dump` and the run position), which `resume` finishes and `--rollback-on-failure` falls
 * back to.
 *
 * @example
 * const checkpoint = await checkpointBeforeRun(cli, conn, m, { latest: true });
 */
export async function checkpointBeforeRun(cli: CliRuntime, conn: PostgresConnection, m: DialectMigrator, target: MigrationTarget): Promise<PgCheckpoint> {
  const applied = (await conn.history.list()).map((h) => h.version);
  const targetVersion = resolveTargetVersion(m.migrations, target);
  return createPgCheckpoint(conn, {
    url: cli.globals.db,
    schema: conn.schema,
    folder: pgBackupFolder(cli),
    migrationId: `migrate-to-${targetVersion}`,
    migrations: m.migrations,
    applied,
    targetVersion,
  });
}

/**
 * `migrate --rollback-on-failure` on PostgreSQL: the failed migration rolled back with its own
 * transaction; this takes back the ones the run committed before it, by their downs (rows they
 * drop archived), and when that fails, by restoring the run's checkpoint when one was taken. The
 * run's error says what happened; it is still thrown by the caller.
 */
export async function revertFailedRun(
  cli: CliRuntime,
  conn: PostgresConnection,
  m: DialectMigrator,
  result: DialectRunResult,
  checkpoint: PgCheckpoint | null,
): Promise<void> {
  const error = result.error!;
  if ((await m.status()).currentVersion === result.fromVersion) return;
  const back = await m.rollback({ version: result.fromVersion }, { signal: cli.signal, command: 'mfmig migrate --rollback-on-failure' });
  if (!back.error) {
    error.message += `; the run was rolled back to version ${result.fromVersion}`;
    return;
  }
  if (!checkpoint) {
    error.message += `; rolling the run back to version ${result.fromVersion} failed too: ${back.error.message} (the database is at version ${back.toVersion})`;
    return;
  }
  try {
    await restorePgDumpBackup(conn, { url: cli.globals.db, schema: conn.schema, folder: pgBackupFolder(cli), id: checkpoint.backupId });
    await conn.history.audit('restore', result.fromVersion, `checkpoint ${checkpoint.id} after a failed run whose downs failed: ${back.error.message}`);
    error.message += `; its downs failed (${back.error.message}), so the checkpoint ${checkpoint.id} was restored (version ${result.fromVersion})`;
  } catch (restoreError) {
    error.message += `; its downs failed (${back.error.message}) and restoring checkpoint ${checkpoint.id} failed too: ${messageOf(restoreError)}`;
  }
}
