import { type Migration, type SqliteConnection, onlineRebuildOn } from '@mfmig/core';
import type { WritersNote } from '../plan/plan-types.js';

/**
 * Bytes per second at which a snapshot is compared with the file under the read lock (core's
 * `reconcileCopy`): 1.6 GB in 0.3 s on a small 2-core machine, rounded down.
 */
const COMPARE_BYTES_PER_SECOND = 4e9;

/**
 * The table a migration rebuilds the way the runner runs online (whatever its size now), or null.
 *
 * @example
 * await rebuiltTable(conn, migration); // 'kb_entries' for 0009
 */
export async function rebuiltTable(conn: SqliteConnection, m: Migration): Promise<string | null> {
  return (await onlineRebuildOn(conn, m, 0))?.table ?? null;
}

/**
 * What the database's journal mode means for the application's writers during a run. In WAL
 * mode readers never block writers: only mfmig's write transactions (its batches, each step's
 * short transactions) make the application wait. With a rollback journal every read holds a
 * SHARED lock that stops commits. mfmig's whole-database reads (the backup, the integrity
 * check, validation) go to snapshots, each copied with no lock and compared with the file under
 * one short read lock: the application waits for each comparison.
 *
 * @example
 * (await writersNote(conn, 535e6, 5))?.backupBlocksSeconds; // about 0.13 with a rollback journal, 0 in WAL
 */
export async function writersNote(conn: SqliteConnection, sizeBytes: number, thresholdSeconds: number): Promise<WritersNote | undefined> {
  const journalMode = await conn.journalMode();
  // an in-memory database (a new file is planned in memory) has no application beside it
  if (journalMode === 'memory' || conn.isMemory) return undefined;
  if (journalMode === 'wal') {
    return {
      journalMode,
      backupBlocksSeconds: 0,
      note: "WAL: the application keeps reading and writing; a write waits at most about one batch (100 ms) except in steps that block writes longer. A `batch: 'never'` INSERT ... SELECT runs its query outside the write lock.",
    };
  }
  const backup = sizeBytes / COMPARE_BYTES_PER_SECOND;
  const long = backup > thresholdSeconds ? ' (longer than the downtime threshold)' : '';
  return {
    journalMode,
    backupBlocksSeconds: backup,
    note:
      `rollback journal (${journalMode}): any read stops the application's commits while it runs. The backup, the integrity check and validation read snapshots instead; the application waits about ${backup < 1 ? `${Math.round(backup * 1000)} ms` : `${backup.toFixed(1)} s`} for each, while it is compared with the file${long}. Validation queries over large tables read copies filled in short batches. ` +
      '`mfmig migrate --wal` switches the database to WAL first, where reads never stop commits.',
  };
}
