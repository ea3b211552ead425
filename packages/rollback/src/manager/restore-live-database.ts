import { join } from 'node:path';
import { MfmigError, RunLock, isCurrentProcess } from '@mfmig/core';
import type { BackupRecord } from '../backup/backup-manifest.js';
import type { BackupVerification } from '../backup/verify-backup.js';
import type { IntegrityLevel } from '../files/database-file-check.js';
import { type BackupSummary, summariseBackup } from '../plan/rollback-plan.js';
import { restoreBackupFile } from '../restore/restore-backup.js';
import type { LiveDatabase } from './live-database.js';

/** What a restore did. */
export interface RestoreResult {
  backup: BackupSummary;
  livePath: string;
  restoredToVersion: number;
  /** The replaced file, kept in `<backupPath>/aside/` (null when `saveAside: false`). */
  savedAside: BackupSummary | null;
  /** Always true: the old connection was closed and a new one opened; use `manager.database` / `manager.context` from now on. */
  reopened: true;
  durationMs: number;
}

/** Options of {@link RollbackManager.restoreBackup}. */
export interface RestoreOptions {
  /** Keep the replaced live file in `<backupPath>/aside/`. Default true. */
  saveAside?: boolean;
  verify?: IntegrityLevel;
}

/** How the manager restores over its live database. */
export interface LiveRestoreOptions {
  saveAside: boolean;
  /** Part of the name of the kept file (`pre-restore`, `corrupt`, ...). */
  reason: string;
  /** The backup's verification, made before anything was touched. */
  verification: BackupVerification;
  /** Let SQLite settle the old file first (false for a damaged one). Default true. */
  settle?: boolean;
}

/**
 * Restores a verified backup over the manager's live database: refuses while another process
 * runs a migration on it, closes the live connection, replaces the file atomically (keeping the
 * old one in `<backupPath>/aside/`), and reopens the connection, also when the replace failed.
 *
 * @example
 * const result = await restoreLiveDatabase(live, backup, { saveAside: true, reason: 'pre-restore', verification });
 */
export async function restoreLiveDatabase(live: LiveDatabase, backup: BackupRecord, options: LiveRestoreOptions): Promise<RestoreResult> {
  assertNoOtherRunner(live);
  const previous = live.detach();
  let restored: ReturnType<typeof restoreBackupFile>;
  try {
    restored = restoreBackupFile(backup, live.path, {
      verified: options.verification,
      saveAsideDir: options.saveAside ? join(live.backupPath, 'aside') : undefined,
      saveAsideReason: options.reason,
      settleLiveFile: options.settle,
      onProgress: (p) => previous?.events.emit('operationProgress', p),
    });
  } catch (error) {
    try {
      live.reattach(previous);
    } catch {
      // the old file could not be reopened (it is the damaged one); the restore error says more
    }
    throw error;
  }
  live.reattach(previous);
  return {
    backup: summariseBackup(backup),
    livePath: restored.livePath,
    restoredToVersion: restored.restoredToVersion,
    savedAside: restored.savedAside ? summariseBackup(restored.savedAside) : null,
    reopened: true,
    durationMs: restored.durationMs,
  };
}

/** Refuses to replace the file under another process's migration run. */
function assertNoOtherRunner(live: LiveDatabase): void {
  if (!live.openConnection) return;
  try {
    const lock = new RunLock(live.context().adapter);
    const holder = lock.holder();
    if (holder && !isCurrentProcess(holder) && !lock.isStale(holder)) {
      throw new MfmigError('LOCK_HELD', `A migration run (pid ${holder.pid} on ${holder.host}, "${holder.command}") holds the database; a restore now would replace the file under it. Wait for it to finish`);
    }
  } catch (error) {
    if ((error as MfmigError).code === 'LOCK_HELD') throw error;
    // a damaged database cannot say who holds it; the restore is what repairs it
  }
}
