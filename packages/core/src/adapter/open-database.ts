import { closeSync, existsSync, linkSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { MfmigError, wrapSqliteError } from '../errors/index.js';
import { describePostgresUrl, isPostgresUrl } from '../dialect/postgres/postgres-url.js';
import { SqliteAdapter } from './sqlite-adapter.js';
import { isHotJournalRefusal, rollBackHotJournal } from './hot-journal.js';

const SQLITE_MAGIC = 'SQLite format 3\0';

/** How a database is opened. */
export interface OpenDatabaseOptions {
  /**
   * `readonly` writes nothing, with one exception SQLite itself makes before any read: a
   * transaction a stopped process left half-written (a hot journal) is rolled back, which restores
   * the last committed state. `readwrite` is needed to migrate. Default `readwrite`.
   */
  mode?: 'readonly' | 'readwrite';
  /** Create the file when it does not exist (only with `readwrite`). Default false. */
  create?: boolean;
  /** How long to wait for another connection's write lock, in ms. Default 5000. */
  busyTimeout?: number;
}

/**
 * Opens a SQLite database (a path, `':memory:'` for a new in-memory one, or an open
 * better-sqlite3 handle) and checks that it is one, before anything is written. A file that is
 * not SQLite, is empty, truncated or unreadable is refused with a coded error and left as it was;
 * a PostgreSQL URL is refused with `USAGE`, saying what opens it.
 *
 * @example
 * const adapter = openDatabase('./knowledge.db', { mode: 'readwrite', create: true });
 */
export function openDatabase(target: Database | string, options: OpenDatabaseOptions = {}): SqliteAdapter {
  const mode = options.mode ?? 'readwrite';
  if (target === ':memory:') return new SqliteAdapter(new BetterSqlite3(':memory:'), { ownsConnection: true });
  if (typeof target !== 'string') {
    if (mode === 'readwrite' && target.readonly) {
      throw new MfmigError('DATABASE_READONLY', `Database ${target.name} is open read-only; open it read-write to migrate`);
    }
    return new SqliteAdapter(target, { ownsConnection: false });
  }
  if (isPostgresUrl(target)) {
    // a URL read as a file name would be refused as a missing directory, which says nothing useful
    throw new MfmigError(
      'USAGE',
      `${describePostgresUrl(target)} is a PostgreSQL database; this opens SQLite files. On PostgreSQL, use createPostgresFramework({ database: url }) of @mfmig/framework, or openPostgres(url) with DialectMigrator and the packages' PostgreSQL functions`,
    );
  }
  const path = resolve(target);
  const exists = existsSync(path);
  if (!exists) {
    if (!options.create || mode === 'readonly') {
      throw new MfmigError('DATABASE_NOT_FOUND', `Database file ${target} does not exist`, {
        context: { file: path, reason: 'missing-file' },
      });
    }
    if (!existsSync(dirname(path))) {
      throw new MfmigError('DATABASE_NOT_FOUND', `Directory ${dirname(target)} does not exist; create it first`, {
        context: { file: path },
      });
    }
    createEmptyDatabase(path);
  } else {
    checkDatabaseFile(path, target, mode);
  }
  const busyTimeout = options.busyTimeout ?? 5000;
  const open = () => new SqliteAdapter(openChecked(path, target, mode, busyTimeout), { ownsConnection: true });
  try {
    try {
      return open();
    } catch (error) {
      if (mode !== 'readonly' || !isHotJournalRefusal(error)) throw error;
    }
    // a process stopped mid-write: SQLite rolls its journal back before any read, which read-only cannot
    rollBackHotJournal(path, target, busyTimeout);
    return open();
  } catch (error) {
    throw wrapSqliteError(error, 'DATABASE_INVALID', `Cannot open database ${target}`, { file: path });
  }
}

/** Opens the file and checks it is whole; closes it again on failure, with SQLite's own error. */
function openChecked(path: string, shown: string, mode: 'readonly' | 'readwrite', busyTimeout: number): Database {
  let raw: Database | undefined;
  try {
    raw = new BetterSqlite3(path, { readonly: mode === 'readonly', fileMustExist: true });
    raw.pragma(`busy_timeout = ${busyTimeout}`);
    assertNotTruncated(raw, path, shown);
    return raw;
  } catch (error) {
    if (raw?.open) raw.close();
    throw error;
  }
}

/**
 * Opens an existing SQLite file as it is, with none of {@link openDatabase}'s checks: for files
 * mfmig inspects or repairs rather than migrates (a backup to verify, a file to settle before it
 * is replaced), or a scratch file of its own (`create`: made when missing). SQLite's own errors come through unchanged, for the caller to classify.
 *
 * @example
 * const copy = openDatabaseFile('./backups/kb.db', { readonly: true });
 * copy.checkIntegrity('full', 20); // [] when it is sound
 */
export function openDatabaseFile(path: string, options: { readonly?: boolean; create?: boolean } = {}): SqliteAdapter {
  const raw =
    path === ':memory:' ? new BetterSqlite3(':memory:') : new BetterSqlite3(path, { readonly: options.readonly ?? false, fileMustExist: !options.create });
  return new SqliteAdapter(raw, { ownsConnection: true });
}

/** Checks the header and size of an existing file without opening it as a database. */
function checkDatabaseFile(path: string, shown: string, mode: 'readonly' | 'readwrite'): void {
  const stat = statSync(path);
  if (!stat.isFile()) {
    throw new MfmigError('DATABASE_INVALID', `${shown} is not a file`, { context: { file: path } });
  }
  if (stat.size === 0) {
    throw new MfmigError('DATABASE_INVALID', `${shown} is empty (0 bytes), not a SQLite database; remove it to start a new one`, {
      context: { file: path },
    });
  }
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 16 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new MfmigError('DATABASE_INVALID', `${shown} is not a SQLite database (bad file header)`, { context: { file: path } });
  }
  if (read < 100) {
    throw new MfmigError('DATABASE_CORRUPT', `${shown} is truncated: only ${stat.size} bytes`, { context: { file: path } });
  }
  if (mode === 'readwrite' && (stat.mode & 0o222) === 0) {
    throw new MfmigError('DATABASE_READONLY', `${shown} is read-only (mode ${(stat.mode & 0o777).toString(8)}); make it writable to migrate`, {
      context: { file: path },
    });
  }
}

/**
 * Compares the file size with the page count the header promises. Done under a SHARED lock
 * (inside a read transaction) so that a concurrent writer's commit cannot be mistaken for
 * truncation.
 */
function assertNotTruncated(raw: Database, path: string, shown: string): void {
  if (existsSync(`${path}-wal`)) {
    raw.pragma('schema_version');
    return;
  }
  raw.exec('BEGIN');
  try {
    raw.pragma('schema_version');
    const header = Buffer.alloc(100);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
    const rawPageSize = header.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    const pageCount = header.readUInt32BE(28);
    const countValid = header.readUInt32BE(24) === header.readUInt32BE(92);
    const size = statSync(path).size;
    if (countValid && pageCount > 0 && size < pageSize * pageCount) {
      throw new MfmigError(
        'DATABASE_CORRUPT',
        `${shown} is truncated: ${size} bytes where its header promises ${pageSize * pageCount}; restore it from a backup`,
        { context: { file: path } },
      );
    }
  } finally {
    raw.exec('COMMIT');
  }
}

/**
 * Creates a new database file atomically: it is written under a temporary name (with its header
 * page) and linked into place only when nothing is there yet. Another process starting at the
 * same moment sees either no file or a valid empty database, never a zero-byte file.
 */
function createEmptyDatabase(path: string): void {
  const temp = `${path}.mfmig-new-${process.pid}`;
  const db = new BetterSqlite3(temp);
  try {
    db.pragma('user_version = 1');
    db.pragma('user_version = 0');
  } finally {
    db.close();
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}
