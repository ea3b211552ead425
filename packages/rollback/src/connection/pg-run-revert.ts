import { type DialectMigrator, type DialectRunResult, type LockWaitPolicy, type PostgresConnection, messageOf } from '@mfmig/core';
import type { PgCheckpoint } from './pg-checkpoint.js';
import { restorePgDumpBackup } from './pg-dump-restore.js';

/** What {@link revertPostgresRun} takes back, and how it records it. */
export interface PostgresRunRevertOptions {
  /** The pg_dump backup folder the checkpoint's backup is in. */
  folder: string;
  /** The version the run started from. */
  fromVersion: number;
  /** The checkpoint taken before the run (`migrate --checkpoint`), restored when the downs fail; null when none was taken. */
  checkpoint: PgCheckpoint | null;
  /** The command recorded with the downs in the history, e.g. `mfmig emergency-rollback performance`. */
  command: string;
  /** Why, for the audit row of a restore, e.g. `restored by emergency-rollback performance, for the last run`. */
  reason: string;
  /** The checkpoint restore's lock waits (see `PgDumpRestoreOptions.lockWait`); the downs use the migrator's. */
  lockWait?: Partial<LockWaitPolicy>;
  signal?: AbortSignal;
}

/** How {@link revertPostgresRun} took a run back. */
export type PostgresRunRevert =
  | { outcome: 'reverted'; downs: DialectRunResult }
  | { outcome: 'restored'; downs: DialectRunResult; checkpoint: PgCheckpoint; savedAside: string | null }
  | { outcome: 'failed'; downs: DialectRunResult; checkpoint: PgCheckpoint | null; restoreError: string | null };

/**
 * Takes a run back to `fromVersion`: by its downs through `m` (give it the preservation
 * participant, `createConnectionPreservation`, and the rows they drop are archived), and when they
 * fail, by restoring the run's checkpoint when one was taken (the replaced schema dumped aside,
 * the restore audited with `reason`). Never throws for a down or a restore that fails: the outcome
 * says what happened.
 *
 * @example
 * const revert = await revertPostgresRun(url, conn, m, { folder: './backups/postgres', fromVersion: 3, checkpoint: null, command: 'deploy revert', reason: 'for the failed deploy' });
 * if (revert.outcome === 'failed') console.error(revert.downs.error?.message);
 */
export async function revertPostgresRun(
  url: string,
  conn: PostgresConnection,
  m: DialectMigrator,
  options: PostgresRunRevertOptions,
): Promise<PostgresRunRevert> {
  const downs = await m.rollback({ version: options.fromVersion }, { signal: options.signal, command: options.command });
  if (!downs.error) return { outcome: 'reverted', downs };
  const { checkpoint } = options;
  if (!checkpoint) return { outcome: 'failed', downs, checkpoint, restoreError: null };
  try {
    const restored = await restorePgDumpBackup(conn, {
      url,
      schema: conn.schema,
      folder: options.folder,
      id: checkpoint.backupId,
      saveAside: 'failed-run',
      ...(options.lockWait ? { lockWait: options.lockWait } : {}),
    });
    await conn.history.audit('restore', options.fromVersion, `checkpoint ${checkpoint.id} ${options.reason} whose downs failed: ${downs.error.message}`);
    return { outcome: 'restored', downs, checkpoint, savedAside: restored.savedAside?.id ?? null };
  } catch (restoreError) {
    return { outcome: 'failed', downs, checkpoint, restoreError: messageOf(restoreError) };
  }
}
