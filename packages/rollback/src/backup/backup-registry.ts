import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { MfmigError } from '@mfmig/core';
import { unlinkQuietly } from '../files/durable-fs.js';
import { type BackupKind, type BackupRecord, manifestPathFor, readBackupManifest } from './backup-manifest.js';

/** Backup kinds that retention may remove. Checkpoint copies go with their checkpoint. */
export const RETAINED_KINDS: readonly BackupKind[] = ['manual', 'pre-run', 'pre-rollback'];

/** Folder under the backup folder that holds one folder per checkpoint. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

/** Options of {@link listBackups}. */
export interface ListBackupsOptions {
  /** Also list the database copies inside checkpoints. Default false. */
  includeCheckpoints?: boolean;
}

/**
 * The backup registry: every manifest in the backup folder whose copy exists, oldest first.
 * It needs no database connection, so it works when the live database cannot be opened.
 * Unreadable manifests are skipped.
 *
 * @example
 * const backups = listBackups('./backups');
 * backups.at(-1)?.version; // version of the newest backup
 */
export function listBackups(backupPath: string, options: ListBackupsOptions = {}): BackupRecord[] {
  const folder = resolve(backupPath);
  const found: BackupRecord[] = [];
  for (const manifestPath of manifestsIn(folder)) collect(manifestPath, found);
  if (options.includeCheckpoints) {
    const checkpoints = join(folder, CHECKPOINTS_FOLDER);
    for (const name of safeReaddir(checkpoints)) {
      const dir = join(checkpoints, name);
      if (safeIsDirectory(dir)) for (const manifestPath of manifestsIn(dir)) collect(manifestPath, found);
    }
  }
  return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/**
 * Finds a backup by id, by the path of its copy, or by the path of its manifest.
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

/**
 * Applies the retention setting: keeps the `retention` newest backups of the retained kinds, and
 * always the newest verified one. Returns the ids removed. `retention` 0 keeps everything.
 *
 * @example
 * pruneBackups('./backups', 10);
 */
export function pruneBackups(backupPath: string, retention: number, keepIds: string[] = []): string[] {
  if (retention <= 0) return [];
  const retained = listBackups(backupPath).filter((b) => RETAINED_KINDS.includes(b.kind));
  const newestVerified = [...retained].reverse().find((b) => b.integrity.verified);
  const excess = retained.slice(0, Math.max(0, retained.length - retention));
  const removed: string[] = [];
  for (const backup of excess) {
    if (backup.id === newestVerified?.id || keepIds.includes(backup.id)) continue;
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
