import { type DialectMigrator, type HistoryEntry, type LockWaitPolicy, MfmigError, type PostgresConnection } from '@mfmig/core';
import type { EmergencyType } from '../emergency/emergency-rollback.js';
import { type LastRun, findLastRun } from '../emergency/last-run.js';
import { ARCHIVE_SCHEMA } from './archive-schema.js';
import { type PgCheckpoint, listPgCheckpoints } from './pg-checkpoint.js';
import { pgDatabaseIdentity } from './pg-dump-registry.js';
import { revertPostgresRun } from './pg-run-revert.js';

/** What {@link revertLastPostgresRun} needs besides the connection. */
export interface LastPostgresRunOptions {
  /** The pg_dump backup folder, where the run's checkpoint is looked for. */
  folder: string;
  /** The emergency, for the history's command and the audit row. */
  type: EmergencyType;
  /** Each step, as one line (an emergency rollback's `actionsPerformed`). */
  onAction: (line: string) => void;
  /** The checkpoint restore's lock waits (see `PgDumpRestoreOptions.lockWait`). */
  lockWait?: Partial<LockWaitPolicy>;
  signal?: AbortSignal;
}

/**
 * `emergency-rollback failed-migration|performance` on PostgreSQL: finds the last run in the
 * history (its run id; partly applied migrations count as part of it; adopted rows never do) and
 * takes it back to the version it started from by its downs, archiving the rows they drop in
 * `mfmig_archive` when `m` has the preservation participant; when the downs fail, restores the
 * checkpoint taken before that run (`migrate --checkpoint`), else fails with `ROLLBACK_FAILED`.
 * Returns the checkpoint restored, or null when none was.
 *
 * @example
 * const restored = await revertLastPostgresRun(url, conn, m, { folder, type: 'performance', onAction: (l) => actions.push(l) });
 */
export async function revertLastPostgresRun(
  url: string,
  conn: PostgresConnection,
  m: DialectMigrator,
  options: LastPostgresRunOptions,
): Promise<PgCheckpoint | null> {
  const { type, onAction } = options;
  const history = await conn.history.list();
  const run = findLastRun(history, []);
  if (!run || (run.versions.length === 0 && (await m.status()).currentVersion <= run.fromVersion)) {
    onAction('found no migration run to revert: the database is where the last run started');
    return null;
  }
  onAction(`found the last run${run.runId ? ` ${run.runId}` : ''}: versions ${run.versions.join(', ') || 'none'} applied since version ${run.fromVersion}`);
  const checkpoint = await checkpointOf(url, conn, options.folder, run, history);
  const revert = await revertPostgresRun(url, conn, m, {
    folder: options.folder,
    fromVersion: run.fromVersion,
    checkpoint,
    command: `mfmig emergency-rollback ${type}`,
    reason: `restored by emergency-rollback ${type}, for the last run`,
    ...(options.lockWait ? { lockWait: options.lockWait } : {}),
    signal: options.signal,
  });
  const { downs } = revert;
  if (revert.outcome === 'reverted') {
    const preserved = downs.reports.filter((r) => r.kind === 'preserved').length;
    const archived = preserved > 0 ? `, archiving dropped data in ${preserved} table(s) of ${ARCHIVE_SCHEMA}` : '';
    onAction(`reverted ${downs.results.filter((r) => r.status === 'Success').length} migration(s) to version ${downs.toVersion}${archived}`);
    return null;
  }
  onAction(`reverting stopped at version ${downs.toVersion}: ${downs.error?.message ?? 'unknown error'}`);
  if (!revert.checkpoint) {
    throw new MfmigError('ROLLBACK_FAILED', 'The last run cannot be reverted and no checkpoint was taken before it (`migrate --checkpoint` takes one)');
  }
  if (revert.outcome === 'failed') {
    throw new MfmigError(
      'ROLLBACK_FAILED',
      `The last run cannot be reverted, and restoring its checkpoint ${revert.checkpoint.id} failed too: ${revert.restoreError}`,
    );
  }
  const aside = revert.savedAside ? `; the replaced schema kept as pg_dump backup ${revert.savedAside}` : '';
  onAction(`restored the run's checkpoint ${revert.checkpoint.id} (pg_dump backup ${revert.checkpoint.backupId}): version ${run.fromVersion}${aside}`);
  return revert.checkpoint;
}

/**
 * The checkpoint taken before `run`: the newest of this schema taken at the run's start version,
 * with the run's versions still to apply, and not after the run's newest history row.
 */
async function checkpointOf(url: string, conn: PostgresConnection, folder: string, run: LastRun, history: HistoryEntry[]): Promise<PgCheckpoint | null> {
  const appliedAt = history.filter((h) => run.versions.includes(h.version)).map((h) => h.appliedAt);
  const last = appliedAt.sort().at(-1);
  const identity = await pgDatabaseIdentity(conn, url, conn.schema);
  const matching = listPgCheckpoints(folder, identity).filter(
    (c) => c.position.currentVersion === run.fromVersion && run.versions.every((v) => c.position.pending.includes(v)) && (!last || c.createdAt <= last),
  );
  return matching.at(-1) ?? null;
}
