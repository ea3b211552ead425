import { existsSync, linkSync, lstatSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { MfmigError } from '../errors/mfmig-error.js';
import { wrapSqliteError } from '../errors/sqlite-errors.js';
import type { OperationProgress } from '../events/events.js';
import { copyFileDurably, fsyncDirectory, unlinkQuietly } from '../files/durable-fs.js';
import { sha256File } from '../files/file-hash.js';
import { realFilePath } from '../files/real-file-path.js';
import { describeKind } from '../files/regular-file.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { openDatabase, openDatabaseFile } from './open-database.js';
import { type StoredIdentity, readIdentityRow, writeIdentityRow } from '../identity/identity-table.js';
import { existingSiblings, moveSiblings, removeStaleTemps, tempPathBeside } from './sqlite-siblings.js';

/** Options of {@link replaceDatabaseFile}. */
export interface ReplaceDatabaseOptions {
  /** Keep the old file (and its -wal/-journal) at this path instead of discarding it. */
  saveAsideTo?: string;
  /** sha256 the copy must have before it is renamed over the live file. */
  expectedSha256?: string;
  /** Size in bytes `source` must have; checked before a byte is copied. */
  expectedSize?: number;
  onProgress?: (progress: OperationProgress) => void;
  /** Replace even when another connection seems to have the live file open. Default false. */
  force?: boolean;
  /**
   * Open the old file first so that SQLite checkpoints its WAL and rolls back a hot journal
   * (default true). False leaves a damaged file and its -wal/-journal byte for byte as they were.
   */
  settle?: boolean;
  /**
   * The identity the new file must carry (the live database's own): written into the verified
   * copy, before it is renamed over the live file, when the copy carries another one (a copy of
   * another database restored on purpose, or an older backup without one).
   */
  identity?: StoredIdentity;
}

/** What {@link replaceDatabaseFile} did. */
export interface ReplaceDatabaseResult {
  /** The file that was replaced: `livePath` with every symbolic link resolved. */
  livePath: string;
  savedAside: string | null;
  /** True when the old file could be opened and was checkpointed before being replaced. */
  settled: boolean;
  siblingsMoved: string[];
}

/**
 * Replaces a database file atomically: copies `source` to a temporary file in the live file's
 * folder, fsyncs it, checks its sha256, and renames it over the live file. The old file's WAL is
 * checkpointed first (or, when it cannot be opened, its -wal/-journal are moved away), so SQLite
 * never applies an old journal to the new file. Killed at any point, the live path holds the old
 * file or the new one. Every connection to the live file must be closed before the call.
 *
 * A `livePath` that is a symbolic link (`current.db -> releases/v7.db`) is resolved once, first:
 * the file it points at is replaced and kept aside, and the link stays a link. `source` must be
 * a regular file (a symbolic link, a FIFO or a device is refused before anything is touched), and
 * so must the live file when there is one.
 *
 * @example
 * replaceDatabaseFile('./backups/x.db', './knowledge.db', { expectedSha256: manifest.sha256 });
 */
export function replaceDatabaseFile(source: string, givenPath: string, options: ReplaceDatabaseOptions = {}): ReplaceDatabaseResult {
  const livePath = realFilePath(givenPath);
  removeStaleTemps(livePath, 'restore');
  const exists = existsSync(livePath);
  if (exists && !lstatSync(livePath).isFile()) {
    throw new MfmigError('RESTORE_FAILED', `${livePath} is ${describeKind(lstatSync(livePath))}, not a database file; nothing was replaced`, {
      context: { file: livePath },
    });
  }
  const settled = exists && options.settle !== false ? settleLiveFile(livePath) : false;
  const leftovers = existingSiblings(livePath);
  if (settled && leftovers.length > 0 && !options.force) {
    throw new MfmigError(
      'RESTORE_FAILED',
      `${livePath} is still open elsewhere (${leftovers.map((p) => p.slice(livePath.length)).join(', ')} present after closing ours); close every connection to it, then restore again`,
      { context: { file: livePath } },
    );
  }
  const temp = tempPathBeside(livePath, 'restore');
  try {
    const started = performance.now();
    copyFileDurably(source, temp, {
      source: { followSymlinks: false, expectedSize: options.expectedSize },
      onChunk: (done, total) => options.onProgress?.(progressOf(done, total, started)),
    });
    if (options.expectedSha256 && sha256File(temp) !== options.expectedSha256) {
      throw new MfmigError('RESTORE_FAILED', `The copy of ${source} does not match its checksum; the live database was not touched`, {
        context: { file: source },
      });
    }
    if (options.identity) stampIdentity(temp, options.identity);
    let savedAside: string | null = null;
    if (exists && options.saveAsideTo) {
      mkdirSync(dirname(options.saveAsideTo), { recursive: true });
      keepOldFile(livePath, options.saveAsideTo);
      savedAside = options.saveAsideTo;
    }
    const siblingsMoved = moveSiblings(livePath, savedAside ?? undefined);
    renameSync(temp, livePath);
    fsyncDirectory(dirname(livePath));
    return { livePath, savedAside, settled, siblingsMoved };
  } catch (error) {
    unlinkQuietly(temp);
    unlinkQuietly(`${temp}-journal`);
    throw wrapSqliteError(error, 'RESTORE_FAILED', `Replacing ${livePath} failed`, { file: livePath });
  }
}

/**
 * Opens the old file once so that SQLite finishes its own business with it: a hot rollback
 * journal is rolled back and the WAL is checkpointed into the file and removed. False when the
 * file cannot be opened (it is damaged): its siblings are then moved away untouched.
 */
function settleLiveFile(path: string): boolean {
  let db: DatabaseAdapter | undefined;
  try {
    db = openDatabaseFile(path);
    db.userTables();
    if (db.journalMode() === 'wal') db.all('PRAGMA wal_checkpoint(TRUNCATE)');
    return true;
  } catch {
    return false;
  } finally {
    try {
      db?.close();
    } catch {
      // a damaged file may fail to close cleanly; the rename below does not depend on it
    }
  }
}

/**
 * A hard link keeps the old bytes at no cost (the rename then gives the live name a new file and
 * leaves this one alone); across file systems, a copy. `livePath` is the real file, never a
 * symbolic link: a hard link to a link would keep the link, not the data.
 */
function keepOldFile(livePath: string, target: string): void {
  try {
    linkSync(livePath, target);
  } catch {
    copyFileDurably(livePath, target, { source: { followSymlinks: false } });
  }
}

function progressOf(done: number, total: number, started: number): OperationProgress {
  const pageBytes = 4096;
  const seconds = (performance.now() - started) / 1000;
  const rate = seconds > 0 ? done / pageBytes / seconds : 0;
  const left = (total - done) / pageBytes;
  return {
    operation: 'restore',
    done: Math.round(done / pageBytes),
    total: Math.round(total / pageBytes),
    unit: 'pages',
    ratePerSecond: rate,
    etaMs: rate > 0 ? (left / rate) * 1000 : null,
  };
}

/** Writes `identity` into the database file at `path` unless it already carries it. */
function stampIdentity(path: string, identity: StoredIdentity): void {
  const adapter = openDatabase(path, { mode: 'readwrite' });
  try {
    const row = readIdentityRow(adapter);
    if (row?.id !== identity.id || row.path !== identity.path) writeIdentityRow(adapter, { ...identity, updatedAt: new Date().toISOString() });
  } finally {
    adapter.close();
  }
}
