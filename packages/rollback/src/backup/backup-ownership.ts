import { createHash } from 'node:crypto';
import { basename, extname, join, resolve } from 'node:path';
import {
  type DatabaseIdentity,
  MfmigError,
  type SqliteConnection,
  belongsToDatabase,
  ensureDatabaseIdentity,
  readDatabaseIdentity,
  wrapSqliteError,
} from '@mfmig/core';
import type { BackupManifest, BackupOwner, BackupRecord } from './backup-manifest.js';

/**
 * The database a backup belongs to: the one its manifest names, or for an older manifest the
 * database it was copied from (`source.path`), known by path only.
 *
 * @example
 * ownerOf(backup); // { id: 'c0ffee…', path: '/srv/app/kb.db' }
 */
export function ownerOf(manifest: Pick<BackupManifest, 'database' | 'source'>): BackupOwner {
  return manifest.database ?? { id: null, path: manifest.source.path };
}

/**
 * True when the backup belongs to `database` (by id when both have one, else by real path).
 *
 * @example
 * listBackups('./backups').filter((b) => backupBelongsTo(b, identity));
 */
export function backupBelongsTo(manifest: Pick<BackupManifest, 'database' | 'source'>, database: DatabaseIdentity): boolean {
  return belongsToDatabase(ownerOf(manifest), database);
}

/**
 * Throws `BACKUP_OTHER_DATABASE` when the backup belongs to another database than `database`.
 *
 * @example
 * assertBackupBelongs(backup, identity); // before anything is touched
 */
export function assertBackupBelongs(backup: BackupRecord, database: DatabaseIdentity): void {
  if (backupBelongsTo(backup, database)) return;
  const owner = ownerOf(backup);
  throw new MfmigError(
    'BACKUP_OTHER_DATABASE',
    `Backup ${backup.id} belongs to the database ${describeDatabase(owner)}, not to ${describeDatabase(database)}; nothing was restored`,
    { context: { file: backup.path, owner, database: { id: database.id, path: database.path } } },
  );
}

/** A database as messages name it: its path and the start of its id. */
export function describeDatabase(database: { id: string | null; path: string }): string {
  return `${database.path} (${database.id ? `id ${database.id.slice(0, 8)}` : 'no id'})`;
}

/**
 * The folder of one database inside the backup folder: `<file name>-<first 8 characters of its
 * id>` (of a hash of its path when it has no id). Its backups go there, its checkpoints in
 * `checkpoints/` and the files a restore replaced in `aside/` below it, so that databases sharing
 * a backup folder stay apart on disk.
 *
 * @example
 * databaseFolder('./backups', { id: 'c0ffee12-…', path: '/srv/app/kb.db' }); // '/…/backups/kb-c0ffee12'
 */
export function databaseFolder(backupPath: string, database: { id: string | null; path: string }): string {
  const stem =
    basename(database.path, extname(database.path))
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^\.+/, '')
      .slice(0, 60) || 'database';
  const tag = (database.id ?? createHash('sha256').update(database.path).digest('hex')).replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return join(resolve(backupPath), `${stem}-${tag}`);
}

/**
 * The identity a backup or checkpoint of the live database is recorded under: the database gets
 * one of its own first when it has none (`ensureDatabaseIdentity`), except on a read-only
 * connection, where it is recorded as it is (by path when it has no id).
 *
 * @example
 * const owner = claimIdentity(framework.context.connection); // { id, path }
 */
export function claimIdentity(conn: SqliteConnection): BackupOwner {
  if (conn.isReadonly) {
    const { id, path } = readDatabaseIdentity(conn);
    return { id, path };
  }
  try {
    return ensureDatabaseIdentity(conn);
  } catch (error) {
    throw wrapSqliteError(error, 'BACKUP_FAILED', `Cannot record the identity of ${conn.target} before copying it`, { file: conn.target });
  }
}
