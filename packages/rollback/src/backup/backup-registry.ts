import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type DatabaseIdentity, MfmigError } from '@mfmig/core';
import { unlinkQuietly } from '../files/durable-fs.js';
import { type BackupKind, type BackupRecord, manifestPathFor, readBackupManifest } from './backup-manifest.js';
import { backupBelongsTo } from './backup-ownership.js';

/** Backup kinds that retention may remove. Checkpoint copies go with their checkpoint. */
export const RETAINED_KINDS: readonly BackupKind[] = ['manual', 'pre-run', 'pre-rollback'];

/** Folder (under the backup folder, or a database's folder in it) that holds one folder per checkpoint. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

/** Folder (in a database's folder) that keeps the files a restore replaced. */
export const ASIDE_FOLDER = 'aside';

/** How `databaseFolder` names a database's folder: `<file name>-<8 letters or digits>`. */
const DATABASE_FOLDER = /^[A-Za-z0-9_][A-Za-z0-9._-]*-[A-Za-z0-9]{8}$/;

/** Options of {@link listBackups}. */
export interface ListBackupsOptions {
  /** Also list the database copies inside checkpoints. Default false. */
  includeCheckpoints?: boolean;
  /** Only the backups of this database (see `backupBelongsTo`). Default: every database's. */
  database?: DatabaseIdentity;
}

/**
 * The backup registry: every manifest whose copy exists, in the backup folder and in its
 * per-database folders, oldest first; with `database`, only that database's. It needs no
 * database connection, so it works when the live database cannot be opened. Unreadable
 * manifests are skipped.
 *
 * @example
 * const backups = listBackups('./backups', { database: readDatabaseIdentityAt('./kb.db') });
 * backups.at(-1)?.version; // version of the newest backup of kb.db
 */
export function listBackups(backupPath: string, options: ListBackupsOptions = {}): BackupRecord[] {
  const found: BackupRecord[] = [];
  for (const folder of registryFolders(resolve(backupPath))) {
    for (const manifestPath of manifestsIn(folder)) collect(manifestPath, found);
    if (!options.includeCheckpoints) continue;
    const checkpoints = join(folder, CHECKPOINTS_FOLDER);
    for (const name of safeReaddir(checkpoints)) {
      const dir = join(checkpoints, name);
      if (safeIsDirectory(dir)) for (const manifestPath of manifestsIn(dir)) collect(manifestPath, found);
    }
  }
  const own = options.database ? found.filter((b) => backupBelongsTo(b, options.database!)) : found;
  return own.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/**
 * The folders that hold backups: the backup folder itself (older, flat layouts) and each
 * database's folder in it.
 */
export function registryFolders(root: string): string[] {
  const folders = [root];
  for (const name of safeReaddir(root)) {
    if (!DATABASE_FOLDER.test(name)) continue;
    const dir = join(root, name);
    if (safeIsDirectory(dir)) folders.push(dir);
  }
  return folders;
}

/**
 * Finds a backup by id, by the path of its copy, or by the path of its manifest. It finds the
 * backups of every database; restoring checks whose it is.
 *
 * @example
 * const backup = findBackup('./backups', '2025-01-01T10-00-00-000Z_v2_manual_ab12');
 */
export function findBackup(backupPath: string, ref: string): BackupRecord {
  const candidates = [ref, resolve(ref)];
  if (!isAbsolute(ref)) candidates.push(join(resolve(backupPath), ref));
  for (const candidate of candidates) {
    if (candidate.endsWith('.json') && existsSync(candidate)) return readBackupManifest(candidate);
    if (candidate.endsWith('.db') && existsSync(candidate)) {
      const manifest = manifestPathFor(candidate);
      if (!existsSync(manifest)) {
        throw new MfmigError('BACKUP_INVALID', `Backup ${ref} has no manifest (${manifest}); without its checksum it cannot be verified or restored`, {
          context: { file: candidate },
        });
      }
      return readBackupManifest(manifest);
    }
  }
  const byId = listBackups(backupPath, { includeCheckpoints: true }).find((b) => b.id === ref);
  if (byId) return byId;
  throw new MfmigError('BACKUP_INVALID', `Backup ${ref} not found in ${backupPath}; \`mfmig backup --list\` shows the backups`, {
    context: { file: ref },
  });
}

/** Options of {@link pruneBackups}. */
export interface PruneBackupsOptions {
  /** The database whose backups are pruned; the backups of other databases are never touched. */
  database: DatabaseIdentity;
  /** Backups to keep whatever their age (the one just taken). */
  keepIds?: string[];
}

/**
 * Applies the retention setting to one database's backups: keeps its `retention` newest backups
 * of the retained kinds, and always its newest verified one. Returns the ids removed.
 * `retention` 0 keeps everything.
 *
 * @example
 * pruneBackups('./backups', 10, { database: readDatabaseIdentity(adapter) });
 */
export function pruneBackups(backupPath: string, retention: number, options: PruneBackupsOptions): string[] {
  if (retention <= 0) return [];
  const retained = listBackups(backupPath, { database: options.database }).filter((b) => RETAINED_KINDS.includes(b.kind));
  const newestVerified = [...retained].reverse().find((b) => b.integrity.verified);
  const excess = retained.slice(0, Math.max(0, retained.length - retention));
  const removed: string[] = [];
  for (const backup of excess) {
    if (backup.id === newestVerified?.id || options.keepIds?.includes(backup.id)) continue;
    unlinkQuietly(backup.manifestPath);
    unlinkQuietly(backup.path);
    removed.push(backup.id);
  }
  return removed;
}

function collect(manifestPath: string, into: BackupRecord[]): void {
  try {
    const record = readBackupManifest(manifestPath);
    if (existsSync(record.path)) into.push(record);
  } catch {
    // not a backup manifest (or a damaged one): not part of the registry
  }
}

function manifestsIn(folder: string): string[] {
  return safeReaddir(folder)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .map((name) => join(folder, name));
}

function safeReaddir(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

function safeIsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
