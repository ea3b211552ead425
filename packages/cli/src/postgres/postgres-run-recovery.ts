import type { DialectMigrator, DialectParticipant, DialectRunResult, LockWaitPolicy, PostgresConnection } from '@mfmig/core';
import { type PgCheckpoint, createPgCheckpointParticipant, revertPostgresRun } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { pgBackupFolder } from './postgres-backup.js';

/**
 * `migrate --checkpoint` on PostgreSQL: the participant that takes a checkpoint of the schema (a
 * verified `pg_dump` and the run position) under the run's lock, before its first step. `resume`
 * finishes it and `--rollback-on-failure` falls back to it; `taken()` is the checkpoint of the
 * last real run, or null.
 *
 * @example
 * const checkpoint = checkpointParticipant(cli);
 * const m = await migrator(cli, conn, { loadModules: true, with: [checkpoint.participant] });
 */
export function checkpointParticipant(cli: CliRuntime): { participant: DialectParticipant; taken(): PgCheckpoint | null } {
  let taken: PgCheckpoint | null = null;
  const participant = createPgCheckpointParticipant({ url: cli.globals.db, folder: pgBackupFolder(cli), onTaken: (c) => (taken = c) });
  return { participant, taken: () => taken };
}

/**
 * `migrate --rollback-on-failure` on PostgreSQL: the failed migration rolled back with its own
 * transaction; this takes back the ones the run committed before it (see `revertPostgresRun`). The
 * run's error says what happened; it is still thrown by the caller.
 */
export async function revertFailedRun(
  cli: CliRuntime,
  conn: PostgresConnection,
  m: DialectMigrator,
  result: DialectRunResult,
  checkpoint: PgCheckpoint | null,
  lockWait: Partial<LockWaitPolicy>,
): Promise<void> {
  const error = result.error!;
  if ((await m.status()).currentVersion === result.fromVersion) return;
  const { fromVersion } = result;
  const revert = await revertPostgresRun(cli.globals.db, conn, m, {
    folder: pgBackupFolder(cli),
    fromVersion,
    checkpoint,
    command: 'mfmig migrate --rollback-on-failure',
    reason: 'after a failed run',
    lockWait,
    signal: cli.signal,
  });
  const downsError = revert.downs.error?.message;
  if (revert.outcome === 'reverted') error.message += `; the run was rolled back to version ${fromVersion}`;
  else if (revert.outcome === 'restored') {
    const aside = revert.savedAside ? `; the replaced schema is kept as pg_dump backup ${revert.savedAside}` : '';
    error.message += `; its downs failed (${downsError}), so the checkpoint ${revert.checkpoint.id} was restored (version ${fromVersion})${aside}`;
  } else if (!revert.checkpoint) {
    error.message += `; rolling the run back to version ${fromVersion} failed too: ${downsError} (the database is at version ${revert.downs.toVersion})`;
  } else {
    error.message += `; its downs failed (${downsError}) and restoring checkpoint ${revert.checkpoint.id} failed too: ${revert.restoreError}`;
  }
}
