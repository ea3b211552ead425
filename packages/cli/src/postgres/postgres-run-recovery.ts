import type { DialectMigrator, DialectParticipant, DialectRunResult, LockWaitPolicy, PostgresConnection } from '@mfmig/core';
import { revertFailedPostgresRun } from '@mfmig/framework';
import { type PgCheckpoint, createPgCheckpointParticipant } from '@mfmig/rollback';
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
 * transaction; this takes back the ones the run committed before it (see `revertFailedPostgresRun`).
 * The run's error says what happened; it is still thrown by the caller.
 */
export async function revertFailedRun(
  cli: CliRuntime,
  conn: PostgresConnection,
  m: DialectMigrator,
  result: DialectRunResult,
  checkpoint: PgCheckpoint | null,
  lockWait: Partial<LockWaitPolicy>,
): Promise<void> {
  await revertFailedPostgresRun(conn, m, result, {
    url: cli.globals.db,
    folder: pgBackupFolder(cli),
    checkpoint,
    command: 'mfmig migrate --rollback-on-failure',
    lockWait,
    signal: cli.signal,
  });
}
