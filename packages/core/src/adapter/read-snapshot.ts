import { randomBytes } from 'node:crypto';
import { closeSync, constants, copyFileSync, fstatSync, ftruncateSync, openSync, readSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
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
 * copy is taken by the kernel (copy_file_range, or a reflink) holding no lock, then made one
 * consistent snapshot under a short read lock (see {@link reconcileCopy}): a fraction of that.
 * It is then read with no lock on the live file at all.
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
    copyFileSync(file, path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    underReadLock(adapter, () => reconcileCopy(file, path));
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
 * Makes `target`, a copy of `source` taken while `source` may have been changing, byte for byte
 * the file `source` is now: each chunk that differs is written again, and the length is set.
 * Run under a read lock (see {@link underReadLock}), it turns a copy taken with no lock into one
 * consistent snapshot, and keeps the application waiting only while it compares: both files
 * are in memory after the copy, and 1.6 GB compared in 0.5 s where copying it under the lock
 * took 1.6-3.3 s (the copy's writes are the slow part).
 *
 * @example
 * copyFileSync(db, copy); // no lock: the application keeps committing
 * underReadLock(adapter, () => reconcileCopy(db, copy));
 */
export function reconcileCopy(source: string, target: string): { rewrittenBytes: number } {
  const from = openSync(source, 'r');
  let to: number | undefined;
  try {
    to = openSync(target, 'r+');
    const size = fstatSync(from).size;
    const live = Buffer.allocUnsafe(RECONCILE_CHUNK_BYTES);
    const copied = Buffer.allocUnsafe(RECONCILE_CHUNK_BYTES);
    let rewrittenBytes = 0;
    for (let offset = 0; offset < size; offset += RECONCILE_CHUNK_BYTES) {
      const want = Math.min(RECONCILE_CHUNK_BYTES, size - offset);
      const n = readFully(from, live, want, offset);
      const m = readFully(to, copied, n, offset);
      if (m !== n || live.compare(copied, 0, n, 0, n) !== 0) {
        writeSync(to, live, 0, n, offset);
        rewrittenBytes += n;
      }
    }
    if (fstatSync(to).size !== size) ftruncateSync(to, size);
    return { rewrittenBytes };
  } finally {
    if (to !== undefined) closeSync(to);
    closeSync(from);
  }
}

const RECONCILE_CHUNK_BYTES = 1024 * 1024;

function readFully(fd: number, buffer: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

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
