import { randomBytes } from 'node:crypto';
import { closeSync, constants, copyFileSync, openSync, readSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { isProcessAlive } from '../lock/process-identity.js';
import { stagedReadOf } from './insert-select.js';
import { SqliteAdapter } from './sqlite-adapter.js';
import type { DatabaseAdapter } from './database-adapter.js';

/** Below this size a whole-file read is short enough to run on the live file (default 64 MiB). */
export const SNAPSHOT_MIN_BYTES = 64 * 1024 * 1024;

/** A private, read-only copy of a database at one instant; `release()` closes and deletes it. */
export interface ReadSnapshot {
  adapter: SqliteAdapter;
  path: string;
  release(): void;
}

/** Options of {@link takeReadSnapshot}. */
export interface ReadSnapshotOptions {
  /** Files smaller than this are read live (null is returned). Default {@link SNAPSHOT_MIN_BYTES}. */
  minBytes?: number;
}

/**
 * Holds a SHARED lock (one read transaction) while `work` runs: no other connection can commit,
 * so the file's bytes stay one consistent database. The first read also rolls back a hot
 * journal. Works with sync and async `work`.
 *
 * @example
 * await underReadLock(adapter, () => copyFile(adapter.filePath, '/backups/kb.db'));
 */
export function underReadLock<T>(adapter: DatabaseAdapter, work: () => T): T {
  const db = adapter.raw;
  db.exec('BEGIN DEFERRED');
  let result: T;
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    result = work();
  } catch (error) {
    db.exec('COMMIT');
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => db.exec('COMMIT')) as T;
  db.exec('COMMIT');
  return result;
}

/**
 * A consistent copy to read instead of the live file, for whole-file reads (integrity checks,
 * validation scans) of a rollback-journal database. There every reader stops the application's
 * commits for as long as it reads: a `quick_check` of a 1.6 GB file stopped them for 5 s. The
 * copy is taken by the kernel (copy_file_range, or a reflink) under a read lock, after the file
 * was read once without one (see `warmPageCache`): a fraction of that. It is then read with no
 * lock on the live file at all.
 *
 * Returns null when the live file should be read directly: WAL (readers never block writers),
 * a memory or small file, a connection inside a transaction (its own writes must be seen), or
 * when the copy cannot be made (no space, a read-only folder).
 *
 * @example
 * const snapshot = takeReadSnapshot(adapter);
 * try { (snapshot?.adapter ?? adapter).raw.pragma('quick_check'); } finally { snapshot?.release(); }
 */
export function takeReadSnapshot(adapter: DatabaseAdapter, options: ReadSnapshotOptions = {}): ReadSnapshot | null {
  const raw = adapter.raw;
  const file = adapter.filePath;
  if (raw.memory || !file || raw.inTransaction) return null;
  try {
    // a file that cannot say its journal mode (a damaged schema) is read live, to report its damage
    if (stagedReadOf(String(raw.pragma('journal_mode', { simple: true }))) !== 'copies') return null;
    if (statSync(file).size < (options.minBytes ?? SNAPSHOT_MIN_BYTES)) return null;
  } catch {
    return null;
  }
  removeStaleSnapshots(file);
  const path = join(dirname(file), `.${basename(file)}.mfmig-snapshot-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    warmPageCache(file);
    underReadLock(adapter, () => copyFileSync(file, path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE));
  } catch {
    removeQuietly(path);
    return null;
  }
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch {
    removeQuietly(path);
    return null;
  }
  const snapshot = new SqliteAdapter(db, { ownsConnection: true });
  return {
    adapter: snapshot,
    path,
    release() {
      if (db.open) db.close();
      removeQuietly(path);
    },
  };
}

/**
 * Reads a file through once, holding no lock, so that a copy made next under a lock copies from
 * memory rather than from disk: 1.6 GB took 3 s to copy from disk, 0.3 s from memory, and the
 * application waits for the copy. The bytes read are thrown away; the application may be
 * writing meanwhile, which does no harm (what it changes is in memory too).
 *
 * @example
 * warmPageCache('./kb.db');
 */
export function warmPageCache(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  try {
    const buffer = Buffer.allocUnsafe(WARM_CHUNK_BYTES);
    while (readSync(fd, buffer, 0, WARM_CHUNK_BYTES, null) > 0);
  } finally {
    closeSync(fd);
  }
}

const WARM_CHUNK_BYTES = 8 * 1024 * 1024;

/** Deletes snapshots of `file` left by processes that are gone (a killed run). */
function removeStaleSnapshots(file: string): void {
  const prefix = `.${basename(file)}.mfmig-snapshot-`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid, null)) removeQuietly(join(dirname(file), name));
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
