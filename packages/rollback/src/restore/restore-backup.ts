import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type OperationProgress, type StoredIdentity, openSqliteFile, type IntegrityLevel, sha256File, realFilePath, replaceDatabaseFile } from '@mfmig/core';
import { BACKUP_FORMAT, type BackupOwner, type BackupRecord, writeBackupManifest } from '../backup/backup-manifest.js';
import type { BackupVerification } from '../backup/verify-backup.js';
import { assertBackupRestorable } from '../backup/verify-backup.js';
import { describeDatabaseFile } from '../files/describe-database-file.js';

/** Options of {@link restoreBackupFile}. */
export interface RestoreFileOptions {
  /** Integrity check of the backup before anything is touched. Default `full`. */
  verify?: IntegrityLevel;
  /** A verification just made by the caller (sha256 and integrity ok): not repeated. */
  verified?: BackupVerification;
  /** Keep the replaced live file in this folder (with a manifest) instead of discarding it. */
  saveAsideDir?: string;
  /** Why the old file is kept; part of its name. Default `pre-restore`. */
  saveAsideReason?: string;
  /** Put the restored file back in WAL mode when the backed-up database was. Default true. */
  restoreJournalMode?: boolean;
  onProgress?: (progress: OperationProgress) => void;
  force?: boolean;
  /** Let SQLite settle the old file (checkpoint, hot-journal rollback) before it is replaced. Default true; false for a damaged file. */
  settleLiveFile?: boolean;
  /** The database being replaced, recorded as the owner of the kept file. Default: known by its path. */
  database?: BackupOwner;
  /**
   * The live database's identity row. When the restored copy carries another identity (a copy
   * of another database restored on purpose, or an older backup without one), this one is
   * written into the restored file, so that the database keeps its id and its backups.
   */
  identity?: StoredIdentity;
}

/** What a file restore did. */
export interface RestoreFileResult {
  backup: BackupRecord;
  /** The file that was replaced (symbolic links resolved). */
  livePath: string;
  verification: BackupVerification;
  /** The replaced live file, when it was kept. */
  savedAside: BackupRecord | null;
  restoredToVersion: number;
  durationMs: number;
}

/**
 * Restores a backup over a live database file: verifies the backup (a regular file of the
 * recorded size, its sha256, integrity and history, see `verifyBackup`) before touching
 * anything, then replaces the live file atomically (see `replaceDatabaseFile`). A live path that
 * is a symbolic link is resolved once: the file it points at is replaced and kept aside, the
 * link stays.
 * Every connection to the live file must be closed first; `RollbackManager.restoreBackup`
 * does that for the connection it holds and reopens it afterwards.
 *
 * @example
 * await restoreBackupFile(findBackup('./backups', id), './knowledge.db');
 */
export async function restoreBackupFile(backup: BackupRecord, livePath: string, options: RestoreFileOptions = {}): Promise<RestoreFileResult> {
  const start = performance.now();
  const target = realFilePath(livePath);
  const verification = options.verified?.ok ? options.verified : await assertBackupRestorable(backup, options.verify ?? 'full');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const asideId = `${stamp}_${options.saveAsideReason ?? 'pre-restore'}`;
  const saveAsideTo = options.saveAsideDir ? join(resolve(options.saveAsideDir), `${asideId}.db`) : undefined;
  const settle = options.settleLiveFile !== false;
  let asideState = saveAsideTo && settle ? await describeDatabaseFile(target) : null;
  const replaced = replaceDatabaseFile(backup.path, target, {
    expectedSha256: backup.sha256,
    expectedSize: backup.sizeBytes,
    saveAsideTo,
    onProgress: options.onProgress,
    force: options.force,
    settle: options.settleLiveFile,
    identity: options.identity,
  });
  if (backup.source.journalMode === 'wal' && options.restoreJournalMode !== false) {
    const db = await openSqliteFile(target);
    try {
      await db.setJournalMode('wal');
    } finally {
      await db.close();
    }
  }
  let savedAside: BackupRecord | null = null;
  if (replaced.savedAside) {
    const file = replaced.savedAside;
    // an unsettled file was not read before; alone (no journal moved with it) it can be read now, so that its manifest says what it holds
    if (!settle && replaced.siblingsMoved.length === 0) asideState = await describeDatabaseFile(file);
    savedAside = writeBackupManifest(join(resolve(options.saveAsideDir!), `${asideId}.json`), {
      format: BACKUP_FORMAT,
      id: asideId,
      file: `${asideId}.db`,
      kind: 'saved-aside',
      createdAt: new Date().toISOString(),
      version: asideState?.version ?? 0,
      milestone: 0,
      appliedVersions: asideState?.appliedVersions ?? [],
      sizeBytes: statSync(file).size,
      sha256: sha256File(file),
      integrity: {
        verified: false,
        checked: false,
        level: null,
        result: asideState?.readable ? null : (asideState?.error ?? 'not read: kept as found'),
        checkedAt: null,
      },
      source: { path: target, journalMode: asideState?.journalMode ?? 'unknown', pageSize: asideState?.pageSize ?? 0, pageCount: asideState?.pageCount ?? 0 },
      database: options.database ?? { id: null, path: target },
      run: null,
      label: `replaced by the restore of ${backup.id}`,
      timings: { copyMs: 0, hashMs: 0, verifyMs: null },
    });
  }
  return {
    backup,
    livePath: target,
    verification,
    savedAside,
    restoredToVersion: (await describeDatabaseFile(target)).version,
    durationMs: performance.now() - start,
  };
}
