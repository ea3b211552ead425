import { existsSync, statSync } from 'node:fs';
import { MfmigError } from '@mfmig/core';
import { type FileIntegrity, type IntegrityLevel, checkDatabaseFile } from '../files/database-file-check.js';
import { sha256File } from '../files/file-hash.js';
import type { BackupRecord } from './backup-manifest.js';

/** What verifying a backup found. */
export interface BackupVerification {
  backupId: string;
  ok: boolean;
  exists: boolean;
  sha256Matches: boolean;
  actualSha256: string | null;
  integrity: FileIntegrity | null;
  /** Time spent hashing and checking, in ms. */
  durationMs: number;
  /** Why it is not ok, in a sentence. */
  problem: string | null;
}

/**
 * Verifies a backup against its manifest: the copy exists, its sha256 matches, and SQLite's
 * integrity check passes on it. Reads only; never throws for a bad backup.
 *
 * @example
 * const check = verifyBackup(findBackup('./backups', id));
 * if (!check.ok) console.error(check.problem);
 */
export function verifyBackup(backup: BackupRecord, level: IntegrityLevel = 'full'): BackupVerification {
  const start = performance.now();
  const base = { backupId: backup.id, exists: false, sha256Matches: false, actualSha256: null, integrity: null };
  if (!existsSync(backup.path)) {
    return { ...base, ok: false, durationMs: performance.now() - start, problem: `the copy ${backup.path} is missing` };
  }
  const size = statSync(backup.path).size;
  const actualSha256 = sha256File(backup.path);
  if (actualSha256 !== backup.sha256) {
    return {
      ...base,
      exists: true,
      actualSha256,
      ok: false,
      durationMs: performance.now() - start,
      problem: `its checksum does not match the manifest (sha256 ${actualSha256.slice(0, 12)}…, ${size} bytes; manifest says ${backup.sha256.slice(0, 12)}…, ${backup.sizeBytes} bytes)`,
    };
  }
  const integrity = checkDatabaseFile(backup.path, level);
  return {
    ...base,
    exists: true,
    sha256Matches: true,
    actualSha256,
    integrity,
    ok: integrity.ok,
    durationMs: performance.now() - start,
    problem: integrity.ok ? null : `its integrity check failed: ${integrity.result}`,
  };
}

/**
 * Throws `BACKUP_INVALID` unless the backup verifies (checksum and integrity).
 *
 * @example
 * assertBackupRestorable(backup); // throws before anything is touched
 */
export function assertBackupRestorable(backup: BackupRecord, level: IntegrityLevel = 'full'): BackupVerification {
  const check = verifyBackup(backup, level);
  if (!check.ok) {
    throw new MfmigError('BACKUP_INVALID', `Backup ${backup.id} cannot be restored: ${check.problem}; the live database was not touched`, {
      context: { file: backup.path, expectedSha256: backup.sha256, actualSha256: check.actualSha256 },
    });
  }
  return check;
}
