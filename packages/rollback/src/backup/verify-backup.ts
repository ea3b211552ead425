import { closeSync } from 'node:fs';
import { MfmigError, type FileIntegrity, type IntegrityLevel, checkDatabaseFile, sha256OfDescriptor, openRegularFile } from '@mfmig/core';
import { type DatabaseFileState, describeDatabaseFile } from '../files/describe-database-file.js';
import type { BackupRecord } from './backup-manifest.js';

/** What verifying a backup found. */
export interface BackupVerification {
  backupId: string;
  ok: boolean;
  exists: boolean;
  sha256Matches: boolean;
  actualSha256: string | null;
  integrity: FileIntegrity | null;
  /** True when the copy's own history (and identity) is the one its manifest records; false when it was not reached or differs. */
  historyMatches: boolean;
  /** Time spent hashing and checking, in ms. */
  durationMs: number;
  /** Why it is not ok, in a sentence. */
  problem: string | null;
}

/**
 * Verifies a backup against its manifest before anything trusts it. The copy must be a regular
 * file (opened with `O_NOFOLLOW | O_NONBLOCK`: a symbolic link, a FIFO or a device is refused
 * without being read or waited on) of the size the manifest records; then its sha256 must match,
 * SQLite's integrity check must pass on it, and its own `mfmig_history` (read read-only) must hold
 * the versions the manifest records (`version`, `appliedVersions`), and, unless it is a kept-aside
 * file, the identity the manifest names. Reads only; never throws for a bad backup.
 *
 * @example
 * const check = await verifyBackup(findBackup('./backups', id));
 * if (!check.ok) console.error(check.problem);
 */
export async function verifyBackup(backup: BackupRecord, level: IntegrityLevel = 'full'): Promise<BackupVerification> {
  const start = performance.now();
  const base = { backupId: backup.id, exists: false, sha256Matches: false, actualSha256: null, integrity: null, historyMatches: false };
  const done = (fields: Partial<BackupVerification> & { problem: string | null }): BackupVerification => ({
    ...base,
    ok: fields.problem === null,
    durationMs: performance.now() - start,
    ...fields,
  });
  const file = openRegularFile(backup.path, { expectedSize: backup.sizeBytes });
  if (file.problem !== null) return done({ exists: file.problem !== 'is missing', problem: `the copy ${backup.path} ${file.problem}` });
  let actualSha256: string;
  try {
    actualSha256 = sha256OfDescriptor(file.fd);
  } finally {
    closeSync(file.fd);
  }
  if (actualSha256 !== backup.sha256) {
    return done({
      exists: true,
      actualSha256,
      problem: `its checksum does not match the manifest (sha256 ${actualSha256.slice(0, 12)}…; manifest says ${backup.sha256.slice(0, 12)}…)`,
    });
  }
  const integrity = checkDatabaseFile(backup.path, level);
  if (!integrity.ok) return done({ exists: true, sha256Matches: true, actualSha256, integrity, problem: `its integrity check failed: ${integrity.result}` });
  const history = historyProblem(backup, await describeDatabaseFile(backup.path));
  return done({ exists: true, sha256Matches: true, actualSha256, integrity, historyMatches: history === null, problem: history });
}

/**
 * Throws `BACKUP_INVALID` unless the backup verifies (see {@link verifyBackup}).
 *
 * @example
 * await assertBackupRestorable(backup); // throws before anything is touched
 */
export async function assertBackupRestorable(backup: BackupRecord, level: IntegrityLevel = 'full'): Promise<BackupVerification> {
  const check = await verifyBackup(backup, level);
  if (!check.ok) {
    throw new MfmigError('BACKUP_INVALID', `Backup ${backup.id} cannot be restored: ${check.problem}; the live database was not touched`, {
      context: { file: backup.path, expectedSha256: backup.sha256, actualSha256: check.actualSha256 },
    });
  }
  return check;
}

/** Why the copy's own history (or identity) is not the one its manifest records, or null when it is. */
function historyProblem(backup: BackupRecord, copy: DatabaseFileState): string | null {
  if (!copy.readable) return `its history cannot be read (${copy.error})`;
  const recorded = [...backup.appliedVersions].sort((a, b) => a - b).join(', ');
  const found = [...copy.appliedVersions].sort((a, b) => a - b).join(', ');
  if (copy.version !== backup.version || found !== recorded) {
    return `its history does not match the manifest: the copy is at version ${copy.version} (applied: ${found || 'none'}), the manifest says version ${backup.version} (applied: ${recorded || 'none'})`;
  }
  const id = backup.database?.id;
  if (backup.kind !== 'saved-aside' && id && copy.identityId !== id) {
    return `its history belongs to another database: the copy carries ${copy.identityId ? `the id ${copy.identityId.slice(0, 8)}` : 'no id'}, the manifest names ${id.slice(0, 8)}`;
  }
  return null;
}
