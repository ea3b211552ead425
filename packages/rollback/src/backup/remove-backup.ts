import { basename, dirname, resolve } from 'node:path';
import { type DatabaseIdentity, MfmigError, regularFileProblem } from '@mfmig/core';
import type { BackupRecord } from './backup-manifest.js';
import { backupBelongsTo, describeDatabase, ownerOf } from './backup-ownership.js';
import { ASIDE_FOLDER, type RemovedBackup, findBackup, registryFolders, removeBackupFiles, scanBackups } from './backup-registry.js';

/**
 * Removes one backup of `database` on request (its manifest and its copy), the way to get rid of
 * a labelled backup that retention keeps. It refuses, before anything is deleted: a backup of
 * another database (`BACKUP_OTHER_DATABASE`), a checkpoint's copy (it goes with its checkpoint),
 * and anything that is not a usable backup in the backup folder (`BACKUP_INVALID`): a file
 * outside it, a manifest whose copy is a link or a FIFO, a database file.
 *
 * @example
 * const removed = removeBackup('./backups', 'before-release-id', readDatabaseIdentityAt('./kb.db'));
 */
export function removeBackup(backupPath: string, ref: string, database: DatabaseIdentity): RemovedBackup {
  const backup = findBackup(backupPath, ref);
  if (!backupBelongsTo(backup, database)) {
    throw new MfmigError(
      'BACKUP_OTHER_DATABASE',
      `Backup ${backup.id} belongs to the database ${describeDatabase(ownerOf(backup))}, not to ${describeDatabase(database)}; nothing was removed`,
      {
        context: { file: backup.manifestPath },
      },
    );
  }
  if (backup.kind === 'checkpoint') {
    throw new MfmigError(
      'BACKUP_INVALID',
      `${backup.manifestPath} is the database copy of a checkpoint; it goes with its checkpoint folder, nothing was removed`,
      { context: { file: backup.manifestPath } },
    );
  }
  if (!isRegistered(backupPath, backup, database)) {
    throw new MfmigError('BACKUP_INVALID', `${backup.manifestPath} is not a usable backup in ${resolve(backupPath)}; nothing was removed`, {
      context: { file: backup.manifestPath },
    });
  }
  return removeBackupFiles(backup);
}

/** True for a usable backup the registry lists, or a kept-aside file in a database's `aside/` folder. */
function isRegistered(backupPath: string, backup: BackupRecord, database: DatabaseIdentity): boolean {
  const manifest = resolve(backup.manifestPath);
  if (scanBackups(backupPath, { database }).backups.some((b) => resolve(b.manifestPath) === manifest)) return true;
  const folder = dirname(manifest);
  return (
    backup.kind === 'saved-aside' &&
    basename(folder) === ASIDE_FOLDER &&
    registryFolders(resolve(backupPath)).includes(dirname(folder)) &&
    regularFileProblem(manifest) === null &&
    regularFileProblem(backup.path, { expectedSize: backup.sizeBytes }) === null
  );
}
