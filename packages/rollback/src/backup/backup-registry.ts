import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { type DatabaseIdentity, MfmigError, isMfmigError, messageOf, unlinkQuietly, regularFileProblem } from '@mfmig/core';
import { type BackupKind, type BackupRecord, manifestPathFor, readBackupManifest } from './backup-manifest.js';
import { backupBelongsTo, databaseFolder } from './backup-ownership.js';

/** Backup kinds that retention may remove. Checkpoint copies go with their checkpoint. */
export const RETAINED_KINDS: readonly BackupKind[] = ['manual', 'pre-run', 'pre-rollback'];

/** Folder (under the backup folder, or a database's folder in it) that holds one folder per checkpoint. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

/** Folder (in a database's folder) that keeps the files a restore replaced. */
export const ASIDE_FOLDER = 'aside';

/** How `databaseFolder` names a database's folder: `<file name>-<8 letters or digits>`. */
const DATABASE_FOLDER = /^[A-Za-z0-9_][A-Za-z0-9._-]*-[A-Za-z0-9]{8}$/;

/** Options of {@link listBackups} and {@link scanBackups}. */
export interface ListBackupsOptions {
  /** Also list the database copies inside checkpoints. Default false. */
  includeCheckpoints?: boolean;
  /** Only the backups of this database (see `backupBelongsTo`). Default: every database's. */
  database?: DatabaseIdentity;
}

/** An entry of the backup folder that looks like a backup and is not a usable one. */
export interface SkippedBackupEntry {
  /** The manifest (or folder) the entry was found at. */
  manifestPath: string;
  /** The backup's id, when its manifest could be read. */
  id: string | null;
  /** Why it was skipped, as a phrase that follows the path ("its copy … is a FIFO"). */
  problem: string;
}

/** What scanning the backup folder found: the usable backups, oldest first, and what it skipped. */
export interface BackupScan {
  backups: BackupRecord[];
  skipped: SkippedBackupEntry[];
}

/**
 * Scans the backup registry: every manifest in the backup folder and in its per-database folders
 * whose copy is a regular file of the size it records, oldest first; with `database`, only that
 * database's. It needs no database connection, so it works when the live database cannot be
 * opened, and it only looks (`lstat`, and manifests read without blocking): a FIFO, a device, a
 * symbolic link or a folder where a manifest or a copy belongs, a manifest that cannot be read
 * or names a file outside its folder, a date that is not a date, are skipped and reported in
 * `skipped`, never followed or waited on.
 *
 * @example
 * const { backups, skipped } = scanBackups('./backups', { database: readDatabaseIdentityAt('./kb.db') });
 * for (const s of skipped) console.warn(`skipped ${s.manifestPath}: ${s.problem}`);
 */
export function scanBackups(backupPath: string, options: ListBackupsOptions = {}): BackupScan {
  const root = resolve(backupPath);
  const found: BackupRecord[] = [];
  const skipped: (SkippedBackupEntry & { owner?: BackupRecord })[] = [];
  for (const folder of registryFolders(root, skipped)) {
    const own = !options.database || folder === root || folderIsFor(folder, options.database);
    for (const manifestPath of manifestsIn(folder)) collect(manifestPath, found, skipped, own);
    if (!options.includeCheckpoints) continue;
    const checkpoints = join(folder, CHECKPOINTS_FOLDER);
    for (const name of safeReaddir(checkpoints)) {
      const dir = join(checkpoints, name);
      if (isRealFolder(dir)) for (const manifestPath of manifestsIn(dir)) collect(manifestPath, found, skipped, own);
    }
  }
  const belongs = (b: BackupRecord) => !options.database || backupBelongsTo(b, options.database);
  return {
    backups: found.filter(belongs).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)),
    skipped: skipped.filter((s) => (s.owner ? belongs(s.owner) : true)).map(({ owner: _owner, ...entry }) => entry),
  };
}

/**
 * The backup registry: the usable backups of {@link scanBackups}, oldest first (what it skipped
 * is left out; `scanBackups` reports it).
 *
 * @example
 * const backups = listBackups('./backups', { database: readDatabaseIdentityAt('./kb.db') });
 * backups.at(-1)?.version; // version of the newest backup of kb.db
 */
export function listBackups(backupPath: string, options: ListBackupsOptions = {}): BackupRecord[] {
  return scanBackups(backupPath, options).backups;
}

/**
 * The folders that hold backups: the backup folder itself (older, flat layouts) and each
 * database's folder in it. A symbolic link where a database's folder belongs is not followed
 * (and reported in `skipped` when given).
 */
export function registryFolders(root: string, skipped?: SkippedBackupEntry[]): string[] {
  const folders = [root];
  for (const name of safeReaddir(root)) {
    if (!DATABASE_FOLDER.test(name)) continue;
    const dir = join(root, name);
    if (isRealFolder(dir)) folders.push(dir);
    else if (isSymbolicLink(dir))
      skipped?.push({ manifestPath: dir, id: null, problem: "is a symbolic link where a database's backup folder belongs; it is not followed" });
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
  const scan = scanBackups(backupPath, { includeCheckpoints: true });
  const byId = scan.backups.find((b) => b.id === ref);
  if (byId) return byId;
  const bad = scan.skipped.find((s) => s.id === ref);
  if (bad) {
    throw new MfmigError('BACKUP_INVALID', `Backup ${ref} cannot be used: ${bad.manifestPath} ${bad.problem}`, { context: { file: bad.manifestPath } });
  }
  throw new MfmigError('BACKUP_INVALID', `Backup ${ref} not found in ${backupPath}`, {
    context: { file: ref, reason: 'not-found' },
  });
}

/** Options of {@link pruneBackups}. */
export interface PruneBackupsOptions {
  /** The database whose backups are pruned; the backups of other databases are never touched. */
  database: DatabaseIdentity;
  /** Backups to keep whatever their age (the one just taken). */
  keepIds?: string[];
}

/** A backup that was removed (by retention, or on request), as reported. */
export type RemovedBackup = Pick<BackupRecord, 'id' | 'kind' | 'label' | 'version' | 'createdAt' | 'sizeBytes' | 'path'>;

/** A backup just taken, with what retention removed after it. */
export type TakenBackup = BackupRecord & { removedByRetention: RemovedBackup[] };

/**
 * True for a backup retention never removes: a manual backup with a label
 * (`createBackup({ label })`, `mfmig backup --label`). It stays until it is removed explicitly.
 *
 * @example
 * listBackups('./backups').filter(isKeptUntilRemoved);
 */
export function isKeptUntilRemoved(backup: Pick<BackupRecord, 'kind' | 'label'>): boolean {
  return backup.kind === 'manual' && backup.label !== null && backup.label.trim() !== '';
}

/**
 * Applies the retention setting to one database's backups: keeps its `retention` newest backups
 * of the retained kinds, always its newest verified one, and every labelled manual backup
 * (those do not count towards `retention`). Returns what it removed, so that every deletion can
 * be reported. `retention` 0 keeps everything.
 *
 * @example
 * const removed = pruneBackups('./backups', 10, { database: readDatabaseIdentity(adapter) });
 * for (const b of removed) console.log(`retention removed ${b.id}`);
 */
export function pruneBackups(backupPath: string, retention: number, options: PruneBackupsOptions): RemovedBackup[] {
  if (retention <= 0) return [];
  const retained = listBackups(backupPath, { database: options.database }).filter((b) => RETAINED_KINDS.includes(b.kind) && !isKeptUntilRemoved(b));
  const newestVerified = [...retained].reverse().find((b) => b.integrity.verified);
  const excess = retained.slice(0, Math.max(0, retained.length - retention));
  const removed: RemovedBackup[] = [];
  for (const backup of excess) {
    if (backup.id === newestVerified?.id || options.keepIds?.includes(backup.id)) continue;
    removed.push(removeBackupFiles(backup));
  }
  return removed;
}

/**
 * Deletes a backup's manifest, then its copy (a half-done removal leaves a copy without a
 * manifest, which no listing offers), and says what it removed. `unlink` removes a symbolic link
 * itself, never what it points at.
 */
export function removeBackupFiles(backup: BackupRecord): RemovedBackup {
  unlinkQuietly(backup.manifestPath);
  unlinkQuietly(backup.path);
  const { id, kind, label, version, createdAt, sizeBytes, path } = backup;
  return { id, kind, label, version, createdAt, sizeBytes, path };
}

function collect(manifestPath: string, into: BackupRecord[], skipped: (SkippedBackupEntry & { owner?: BackupRecord })[], own: boolean): void {
  let record: BackupRecord;
  try {
    record = readBackupManifest(manifestPath);
  } catch (error) {
    // not a backup manifest (or a damaged one): not part of the registry; said when it lies in this database's folders
    const id = isMfmigError(error) && typeof error.context.id === 'string' ? error.context.id : null;
    if (own)
      skipped.push({ manifestPath, id, problem: `is not a usable backup manifest (${messageOf(error).replace(`Backup manifest ${manifestPath} `, '')})` });
    return;
  }
  const copy = regularFileProblem(record.path, { expectedSize: record.sizeBytes });
  if (copy === null) into.push(record);
  else skipped.push({ manifestPath, id: record.id, problem: `describes a copy that cannot be used: ${record.path} ${copy}`, owner: record });
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

/** A folder, not a symbolic link to one. */
function isRealFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** True when `folder` is named the way `databaseFolder` names the folder of `database` (or is another name of it: the tag is what counts). */
function folderIsFor(folder: string, database: DatabaseIdentity): boolean {
  const tag = basename(databaseFolder(dirname(folder), database))
    .split('-')
    .at(-1);
  return basename(folder).endsWith(`-${tag}`);
}
