import { MfmigError, type SqliteConnection } from '@mfmig/core';
import { ownerOf } from './backup-ownership.js';
import { type TakenBackup, pruneBackups } from './backup-registry.js';
import { type CreateBackupOptions, createBackup } from './create-backup.js';

/**
 * Takes a backup (see `createBackup`), then applies `retention` to that database's backups in the
 * folder, never removing the new one; `removedByRetention` lists what went.
 *
 * @example
 * const backup = await createRetainedBackup(framework.context.connection, { backupPath: './backups', kind: 'manual' }, 10);
 */
export async function createRetainedBackup(conn: SqliteConnection, options: CreateBackupOptions, retention: number): Promise<TakenBackup> {
  const backup = await createBackup(conn, options);
  const removedByRetention = pruneBackups(options.backupPath, retention, { database: ownerOf(backup), keepIds: [backup.id] });
  return { ...backup, removedByRetention };
}

/**
 * The backup a run starts from: a retained backup (see {@link createRetainedBackup}) that, when it
 * was checked and failed, stops the run before it starts (`BACKUP_INVALID`).
 *
 * @example
 * const backup = await createPreRunBackup(framework.context.connection, { backupPath: './backups', kind: 'pre-run', verify: 'full' }, 10);
 */
export async function createPreRunBackup(conn: SqliteConnection, options: CreateBackupOptions, retention: number): Promise<TakenBackup> {
  const backup = await createRetainedBackup(conn, options, retention);
  if ((options.verify ?? 'full') && !backup.integrity.verified) {
    throw new MfmigError(
      'BACKUP_INVALID',
      `The pre-run backup ${backup.id} fails its integrity check (${backup.integrity.result}); the run was not started — the database itself may be damaged`,
    );
  }
  return backup;
}
