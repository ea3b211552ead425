import { type DatabaseAdapter, type Migration, onlineRebuildOf } from '@mfmig/core';
import type { WritersNote } from '../plan/plan-types.js';

/** Bytes per second of the backup's plain file copy (measured about 500 MB/s on a small 2-core machine). */
const COPY_BYTES_PER_SECOND = 500e6;

/**
 * The table a migration rebuilds the way the runner runs online (whatever its size now), or null.
 *
 * @example
 * rebuiltTable(adapter, migration); // 'kb_entries' for 0009
 */
export function rebuiltTable(adapter: DatabaseAdapter, m: Migration): string | null {
  return onlineRebuildOf(adapter, m, 0)?.table ?? null;
}

/**
 * What the database's journal mode means for the application's writers during a run. In WAL
 * mode readers never block writers: only mfmig's write transactions (its batches, each step's
 * short transactions) make the application wait. With a rollback journal every read holds a
 * SHARED lock that stops commits, so mfmig's whole-database reads block the application too:
 * the pre-run backup for about one file copy, then the integrity check and validation.
 *
 * @example
 * writersNote(adapter, 535e6, 5).backupBlocksSeconds; // about 1.1 with a rollback journal, 0 in WAL
 */
export function writersNote(adapter: DatabaseAdapter, sizeBytes: number, thresholdSeconds: number): WritersNote | undefined {
  const journalMode = String(adapter.raw.pragma('journal_mode', { simple: true })).toLowerCase();
  // an in-memory database (a new file is planned in memory) has no application beside it
  if (journalMode === 'memory' || adapter.filePath === '' || adapter.filePath === ':memory:') return undefined;
  if (journalMode === 'wal') {
    return {
      journalMode,
      backupBlocksSeconds: 0,
      note: "WAL: the application keeps reading and writing; a write waits at most about one batch (100 ms) except in steps that block writes longer. A `batch: 'never'` INSERT ... SELECT runs its query outside the write lock.",
    };
  }
  const backup = sizeBytes / COPY_BYTES_PER_SECOND;
  const long = backup > thresholdSeconds ? ' (longer than the downtime threshold)' : '';
  return {
    journalMode,
    backupBlocksSeconds: backup,
    note:
      `rollback journal (${journalMode}): whole-database reads stop the application's commits while they run: the backup copy for about ${backup < 1 ? `${Math.round(backup * 1000)} ms` : `${backup.toFixed(1)} s`}${long}, ` +
      'then the integrity check and validation. `mfmig migrate --wal` switches the database to WAL first, where they do not.',
  };
}
