import { join } from 'node:path';
import { type DatabaseIdentityState, MfmigError, type StoredIdentity, type IntegrityLevel } from '@mfmig/core';
import type { BackupOwner, BackupRecord } from '../backup/backup-manifest.js';
import { assertBackupBelongs, backupBelongsTo, databaseFolder } from '../backup/backup-ownership.js';
import { ASIDE_FOLDER } from '../backup/backup-registry.js';
import type { BackupVerification } from '../backup/verify-backup.js';
import { type BackupSummary, summariseBackup } from '../plan/rollback-plan.js';
import { restoreBackupFile } from '../restore/restore-backup.js';
import type { LiveDatabase } from './live-database.js';

/** What a restore did. */
export interface RestoreResult {
  backup: BackupSummary;
  /** The file that was replaced: the database's path with symbolic links resolved. */
  livePath: string;
  restoredToVersion: number;
  /** The replaced file, kept in `aside/` of the database's folder in the backup folder (null when `saveAside: false`). */
  savedAside: BackupSummary | null;
  /** Always true: the old connection was closed and a new one opened; use `manager.database` / `manager.context` from now on. */
  reopened: true;
  durationMs: number;
}

/** Options of {@link RollbackManager.restoreBackup}. */
export interface RestoreOptions {
  /** Keep the replaced live file in `aside/` of the database's folder in the backup folder. Default true. */
  saveAside?: boolean;
  verify?: IntegrityLevel;
  /**
   * Restore a backup that belongs to another database (a copy, or another file) on purpose.
   * Default false: such a backup is refused with `BACKUP_OTHER_DATABASE` and nothing is touched.
   * The restored file keeps the live database's identity, so its own backups stay its own.
   */
  allowOtherDatabase?: boolean;
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
  /** Restore a backup of another database on purpose. Default false (`BACKUP_OTHER_DATABASE`). */
  allowOtherDatabase?: boolean;
}

/**
 * Restores a verified backup over the manager's live database: refuses a backup of another
 * database (`BACKUP_OTHER_DATABASE`, unless `allowOtherDatabase`) and a restore while another
 * process runs a migration on it, closes the live connection, replaces the file atomically
 * (keeping the old one in `aside/` of the database's folder), keeps the database's identity in
 * the restored file, and reopens the connection, also when the replace failed.
 *
 * @example
 * const result = await restoreLiveDatabase(live, backup, { saveAside: true, reason: 'pre-restore', verification });
 */
export async function restoreLiveDatabase(live: LiveDatabase, backup: BackupRecord, options: LiveRestoreOptions): Promise<RestoreResult> {
  const identity = live.identity();
  if (!options.allowOtherDatabase) assertBackupBelongs(backup, identity);
  await assertNoOtherRunner(live);
  const owner = asideOwner(identity, backup);
  // one resolution of the path for the whole restore: the file a symbolic link points at is the one replaced
  const livePath = live.path;
  const previous = await live.detach();
  let restored: Awaited<ReturnType<typeof restoreBackupFile>>;
  try {
    restored = await restoreBackupFile(backup, livePath, {
      verified: options.verification,
      saveAsideDir: options.saveAside ? join(databaseFolder(live.backupPath, owner), ASIDE_FOLDER) : undefined,
      database: owner,
      identity: keptIdentity(identity),
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

/**
 * Whose the replaced file is: the live database; when it cannot say (damaged, or without an id),
 * the id of its own backup being restored.
 */
function asideOwner(identity: DatabaseIdentityState, backup: BackupRecord): BackupOwner {
  if (identity.id) return { id: identity.id, path: identity.path };
  const id = backupBelongsTo(backup, identity) ? (backup.database?.id ?? null) : null;
  return { id, path: identity.path };
}

/** The identity row the restored file must carry: the live database's own, under its current path. */
function keptIdentity(identity: DatabaseIdentityState): StoredIdentity | undefined {
  return identity.id && identity.stored ? { ...identity.stored, path: identity.path } : undefined;
}

/** Refuses to replace the file under another process's migration run (a live holder of the connection's lock). */
async function assertNoOtherRunner(live: LiveDatabase): Promise<void> {
  if (!live.openConnection) return;
  try {
    const holder = await live.context().connection.lock.holder();
    if (holder && !holder.heldHere && !holder.stale) {
      throw new MfmigError(
        'LOCK_HELD',
        `A migration run (pid ${holder.pid} on ${holder.host}, "${holder.command}") holds the database; a restore now would replace the file under it. Wait for it to finish`,
      );
    }
  } catch (error) {
    if ((error as MfmigError).code === 'LOCK_HELD') throw error;
    // a damaged database cannot say who holds it; the restore is what repairs it
  }
}
