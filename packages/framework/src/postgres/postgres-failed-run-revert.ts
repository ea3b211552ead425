import type { DialectMigrator, DialectRunResult, LockWaitPolicy, PostgresConnection } from '@mfmig/core';
import { type PgCheckpoint, type PostgresRunRevert, revertPostgresRun } from '@mfmig/rollback';

/** Where and how {@link revertFailedPostgresRun} takes a run back. */
export interface FailedRunRevertOptions {
  url: string;
  /** The `pg_dump` backup folder the run's checkpoint is in. */
  folder: string;
  checkpoint: PgCheckpoint | null;
  /** Who reverts, for the lock row and the audit log. */
  command: string;
  lockWait?: Partial<LockWaitPolicy>;
  signal?: AbortSignal;
}

/**
 * Takes a failed run back to where it started (see `revertPostgresRun`): the failed migration was
 * rolled back with its own transaction, this reverts the ones the run committed before it, by
 * their downs, else by the run's checkpoint. The run's error (`result.error`) gets what happened
 * appended; the caller still throws it. Null when the run had committed nothing.
 *
 * @example
 * if (result.error) await revertFailedPostgresRun(conn, m, result, { url, folder, checkpoint: null, command: 'deploy' });
 */
export async function revertFailedPostgresRun(
  conn: PostgresConnection,
  m: DialectMigrator,
  result: DialectRunResult,
  options: FailedRunRevertOptions,
): Promise<PostgresRunRevert | null> {
  const error = result.error!;
  if ((await m.status()).currentVersion === result.fromVersion) return null;
  const { fromVersion } = result;
  const revert = await revertPostgresRun(options.url, conn, m, {
    folder: options.folder,
    fromVersion,
    checkpoint: options.checkpoint,
    command: options.command,
    reason: 'after a failed run',
    ...(options.lockWait ? { lockWait: options.lockWait } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
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
  return revert;
}
