import { type HistoryEntry, isAdoptedEntry } from '@mfmig/core';
import type { BackupRecord } from '../backup/backup-manifest.js';

/** The most recent migration run, as the history and the pre-run backups tell it. */
export interface LastRun {
  runId: string | null;
  /** The version the run started from: where reverting it leads. */
  fromVersion: number;
  /** Versions the run applied that are still applied (partial ones included). */
  versions: number[];
  /** The backup taken before the run, when there is one. */
  preRunBackup: BackupRecord | null;
}

/**
 * Finds the last up run: the newest pre-run backup names it and its start version; without one
 * (or when the history shows a newer run), the run id of the newest history row does, and the
 * run started at the highest version applied by earlier runs. Partially applied migrations
 * always count as part of it. Rows an adoption wrote (`mfmig baseline`) are never a run: those
 * migrations did not run here.
 *
 * @example
 * const run = findLastRun(history, listBackups('./backups'));
 * await migrator.rollback({ version: run.fromVersion });
 */
export function findLastRun(history: HistoryEntry[], backups: BackupRecord[]): LastRun | null {
  const preRun = backups.filter((b) => b.kind === 'pre-run' && b.run?.direction === 'up').at(-1) ?? null;
  const newest = history
    .filter((h) => !isAdoptedEntry(h))
    .sort((a, b) => a.appliedAt.localeCompare(b.appliedAt) || a.version - b.version)
    .at(-1);
  const partial = history.filter((h) => h.status === 'partial').map((h) => h.version);
  const useBackup = preRun?.run && (!newest || newest.runId === preRun.run.runId || newest.appliedAt <= preRun.createdAt);
  if (useBackup && preRun?.run) {
    const runId = preRun.run.runId;
    const versions = history.filter((h) => h.runId === runId || h.status === 'partial' || h.version > preRun.run!.fromVersion).map((h) => h.version);
    return { runId, fromVersion: preRun.run.fromVersion, versions: [...new Set(versions)].sort((a, b) => a - b), preRunBackup: preRun };
  }
  if (!newest) return partial.length > 0 ? { runId: null, fromVersion: 0, versions: partial, preRunBackup: null } : null;
  const runId = newest.runId;
  const versions = history.filter((h) => (runId !== null && h.runId === runId) || h.status === 'partial' || h.version === newest.version).map((h) => h.version);
  const earlier = history.filter((h) => !versions.includes(h.version)).map((h) => h.version);
  const below = earlier.filter((v) => v < Math.min(...versions));
  const sameRunBackup = backups.filter((b) => b.kind === 'pre-run' && b.run?.runId === runId).at(-1) ?? null;
  return { runId, fromVersion: below.length > 0 ? Math.max(...below) : 0, versions: [...new Set(versions)].sort((a, b) => a - b), preRunBackup: sameRunBackup };
}
