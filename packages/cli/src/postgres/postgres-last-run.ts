import { type DialectMigrator, type HistoryEntry, MfmigError, type PostgresConnection } from '@mfmig/core';
import { ARCHIVE_SCHEMA, type EmergencyType, type LastRun, type PgCheckpoint, findLastRun, listPgCheckpoints, pgDatabaseIdentity } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { pgBackupFolder } from './postgres-backup.js';
import { revertRun } from './postgres-run-recovery.js';

/**
 * `emergency-rollback failed-migration|performance` on PostgreSQL: finds the last run in the
 * history (its run id; partly applied migrations count as part of it; adopted rows never do) and
 * takes it back to the version it started from by its downs, archiving the rows they drop in
 * `mfmig_archive`; when the downs fail, restores the checkpoint taken before that run
 * (`migrate --checkpoint`), else fails with `ROLLBACK_FAILED`. Each step is added to `actions`.
 * Returns the checkpoint restored, or null when none was.
 *
 * @example
 * const restored = await revertLastPostgresRun(cli, conn, m, 'performance', result.actionsPerformed);
 */
export async function revertLastPostgresRun(
  cli: CliRuntime,
  conn: PostgresConnection,
  m: DialectMigrator,
  type: EmergencyType,
  actions: string[],
): Promise<PgCheckpoint | null> {
  const history = await conn.history.list();
  const run = findLastRun(history, []);
  if (!run || (run.versions.length === 0 && (await m.status()).currentVersion <= run.fromVersion)) {
    actions.push('found no migration run to revert: the database is where the last run started');
    return null;
  }
  actions.push(`found the last run${run.runId ? ` ${run.runId}` : ''}: versions ${run.versions.join(', ') || 'none'} applied since version ${run.fromVersion}`);
  const checkpoint = await checkpointOf(cli, conn, run, history);
  const revert = await revertRun(cli, conn, m, {
    fromVersion: run.fromVersion,
    checkpoint,
    command: `mfmig emergency-rollback ${type}`,
    reason: `restored by emergency-rollback ${type}, for the last run`,
  });
  const { downs } = revert;
  if (revert.outcome === 'reverted') {
    const preserved = downs.reports.filter((r) => r.kind === 'preserved').length;
    const archived = preserved > 0 ? `, archiving dropped data in ${preserved} table(s) of ${ARCHIVE_SCHEMA}` : '';
    actions.push(`reverted ${downs.results.filter((r) => r.status === 'Success').length} migration(s) to version ${downs.toVersion}${archived}`);
    return null;
  }
  actions.push(`reverting stopped at version ${downs.toVersion}: ${downs.error?.message ?? 'unknown error'}`);
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
  actions.push(`restored the run's checkpoint ${revert.checkpoint.id} (pg_dump backup ${revert.checkpoint.backupId}): version ${run.fromVersion}${aside}`);
  return revert.checkpoint;
}

/**
 * The checkpoint taken before `run`: the newest of this schema taken at the run's start version,
 * with the run's versions still to apply, and not after the run's newest history row.
 */
async function checkpointOf(cli: CliRuntime, conn: PostgresConnection, run: LastRun, history: HistoryEntry[]): Promise<PgCheckpoint | null> {
  const appliedAt = history.filter((h) => run.versions.includes(h.version)).map((h) => h.appliedAt);
  const last = appliedAt.sort().at(-1);
  const identity = await pgDatabaseIdentity(conn, cli.globals.db, conn.schema);
  const matching = listPgCheckpoints(pgBackupFolder(cli), identity).filter(
    (c) => c.position.currentVersion === run.fromVersion && run.versions.every((v) => c.position.pending.includes(v)) && (!last || c.createdAt <= last),
  );
  return matching.at(-1) ?? null;
}
