import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type MigrationSet,
  type OperationProgress,
  type SqliteConnection,
  checkDatabaseFile,
  computeStatus,
  fsyncDirectory,
  isProcessAlive,
  MfmigError,
  sha256File,
  unlinkQuietly,
  wrapSqliteError,
} from '@mfmig/core';
import { BACKUP_FORMAT, type BackupKind, type BackupManifest, type BackupRecord, writeBackupManifest } from './backup-manifest.js';
import { claimIdentity, databaseFolder } from './backup-ownership.js';

/** Options of {@link createBackup}. */
export interface CreateBackupOptions {
  /** The backup folder (created when missing). The copy goes to the database's folder in it, see `layout`. */
  backupPath: string;
  /**
   * `per-database` (default): into `<backupPath>/<file name>-<id>/`, apart from other databases'
   * backups (see `databaseFolder`); `flat`: into `backupPath` itself (checkpoints use it for
   * their own folder).
   */
  layout?: 'per-database' | 'flat';
  kind?: BackupKind;
  label?: string;
  /** Integrity check of the copy: `full` (integrity_check, default), `quick` (quick_check) or false. */
  verify?: 'full' | 'quick' | false;
  /** The migrations folder, to record the milestone the database is at. */
  migrations?: MigrationSet;
  run?: BackupManifest['run'];
  /** File name stem instead of the generated id (checkpoints use `database`). */
  name?: string;
  onProgress?: (progress: OperationProgress) => void;
  /** Pages copied per step (see `consistentCopy`). Default 8192. */
  pagesPerStep?: number;
}

/**
 * Copies a live database as one consistent snapshot (see `consistentCopy`: it finishes while
 * the application writes) into the database's folder of the backup folder and writes its manifest (version, milestone, time, size, sha256, integrity, and
 * the database it belongs to). The copy is written under a temporary name and renamed when
 * complete, so a killed backup never shows up in the registry. The live database is only read,
 * except that it gets its identity (`ensureDatabaseIdentity`) when it has none of its own yet;
 * on a read-only connection the copy is recorded under the identity it has (by path when none).
 *
 * @example
 * const backup = await createBackup(await openSqlite('./kb.db'), { backupPath: './backups', kind: 'manual' });
 * backup.integrity.verified; // true
 */
export async function createBackup(conn: SqliteConnection, options: CreateBackupOptions): Promise<BackupRecord> {
  const database = claimIdentity(conn);
  const folder = options.layout === 'flat' ? resolve(options.backupPath) : databaseFolder(options.backupPath, database);
  makeBackupFolder(folder);
  removeStaleBackupTemps(folder);
  const kind = options.kind ?? 'manual';
  const history = await conn.history.list();
  const version = history.reduce((max, h) => Math.max(max, h.version), 0);
  const milestone = options.migrations ? computeStatus(options.migrations, history).currentMvp : 0;
  const createdAt = new Date().toISOString();
  const id = options.name ?? `${createdAt.replace(/[:.]/g, '-')}_v${version}_${kind}_${randomBytes(2).toString('hex')}`;
  const finalPath = join(folder, `${id}.db`);
  const temp = join(folder, `.backup-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const storage = await conn.introspector.storage();
  const source = {
    path: conn.target,
    journalMode: await conn.journalMode(),
    pageSize: storage.pageSize,
    pageCount: storage.pageCount,
  };
  try {
    const copyStart = performance.now();
    await conn.backup.copy(temp, options);
    const copyMs = performance.now() - copyStart;
    const hashStart = performance.now();
    const sha256 = sha256File(temp);
    const hashMs = performance.now() - hashStart;
    const level = options.verify === undefined ? 'full' : options.verify;
    const integrity = level ? checkDatabaseFile(temp, level) : null;
    renameSync(temp, finalPath);
    fsyncDirectory(folder);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      id,
      file: `${id}.db`,
      kind,
      createdAt,
      version,
      milestone,
      appliedVersions: history.map((h) => h.version),
      sizeBytes: statSync(finalPath).size,
      sha256,
      integrity: {
        verified: integrity?.ok ?? false,
        checked: integrity !== null,
        level: integrity?.level ?? null,
        result: integrity?.result ?? null,
        checkedAt: integrity ? new Date().toISOString() : null,
      },
      source,
      database,
      run: options.run ?? null,
      label: options.label ?? null,
      timings: { copyMs, hashMs, verifyMs: integrity?.durationMs ?? null },
    };
    return writeBackupManifest(join(folder, `${id}.json`), manifest);
  } catch (error) {
    unlinkQuietly(temp);
    throw wrapSqliteError(error, 'BACKUP_FAILED', `Backup of ${conn.target} into ${folder} failed`, { file: finalPath });
  }
}

/** Creates the folder a copy goes to, or says in one line why it cannot (a file in the way, no permission). */
function makeBackupFolder(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(error));
    throw new MfmigError('BACKUP_FAILED', `Cannot create the backup folder ${folder}: ${why}; nothing was backed up`, { cause: error });
  }
}

/** Removes half-written copies left by backups whose process is gone. */
export function removeStaleBackupTemps(folder: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = /^\.backup-(\d+)-[0-9a-f]+\.tmp(-journal)?$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid, null)) continue;
    unlinkQuietly(join(folder, name));
    removed.push(name);
  }
  return removed;
}
