import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MfmigError, isSameFile, realDatabasePath, wrapSqliteError } from '@mfmig/core';
import { REPORT_MARKER_BYTES, isMfmigReport } from '@mfmig/framework';
import { openRegularFile } from '@mfmig/rollback';

/** Files SQLite keeps beside a database; a report never goes there. */
const SIDE_FILES = ['', '-wal', '-shm', '-journal'];

/** Create a new file, failing when anything (a file, a symbolic link) is already at the path. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Options of {@link writeReportFile}. */
export interface ReportFileOptions {
  /** The database the report is about (`--db`): it and its side files are never written. */
  database: string;
  /** Replace an existing regular file that is not a report (`--force`). */
  force: boolean;
}

/**
 * Writes a report where `--out` says, and nowhere else: never over the database or its
 * `-wal`/`-shm`/`-journal` (named in any way: symbolic links resolved, hard links recognised),
 * never through a symbolic link at the output path, never into a FIFO, a device or a folder, and
 * over an existing file only when it is a report mfmig wrote (its generator marker) or with
 * `force`. Each refusal is `OUTPUT_REFUSED` and leaves every file as it was. The page is written
 * to a new temp file in the same folder (created exclusively), fsynced, and renamed over the
 * path, so a reader sees the old report or the new one. Returns the path written.
 *
 * @example
 * writeReportFile('./report.html', html, { database: './knowledge.db', force: false });
 */
export function writeReportFile(out: string, html: string, options: ReportFileOptions): string {
  const path = resolve(out);
  assertWritable(path, options);
  const folder = dirname(path);
  let temp: string | undefined;
  try {
    mkdirSync(folder, { recursive: true });
    temp = join(folder, `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    const fd = openSync(temp, CREATE_NEW, 0o644);
    try {
      writeSync(fd, Buffer.from(html, 'utf8'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // the path may have changed while we wrote: look again, right before the rename (which replaces a link itself, never its target)
    assertWritable(path, options);
    renameSync(temp, path);
    temp = undefined;
    syncFolder(folder);
    return path;
  } catch (error) {
    if (error instanceof MfmigError) throw error;
    // a folder that cannot be made, an unwritable place or a full disk: the user's input or environment, not a crash
    throw wrapSqliteError(error, 'USAGE', `Cannot write the report to ${path}; give --out a file path you can write`, { file: path });
  } finally {
    if (temp) removeQuietly(temp);
  }
}

/**
 * Throws `OUTPUT_REFUSED` when `out` is the database or a side file of it, or something that must
 * not be replaced (see {@link writeReportFile}); a command checks before it does the work.
 *
 * @example
 * assertReportPath('./knowledge.db', { database: './knowledge.db', force: true }); // throws OUTPUT_REFUSED
 */
export function assertReportPath(out: string, options: ReportFileOptions): void {
  assertWritable(resolve(out), options);
}

function assertWritable(path: string, options: ReportFileOptions): void {
  const target = join(realFolder(dirname(path)), basename(path));
  const database = resolve(options.database);
  const names = new Set([database, realDatabasePath(database)].flatMap((base) => SIDE_FILES.map((suffix) => `${base}${suffix}`)));
  if (names.has(path) || names.has(target) || [...names].some((name) => isSameFile(name, path))) {
    throw refuse(path, `is the database ${database} or one of its side files (-wal, -shm, -journal); the report is never written there, --force or not`);
  }
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // nothing there yet: a new file is created
  }
  if (stats.isSymbolicLink()) throw refuse(path, 'is a symbolic link; mfmig never writes through one, --force or not (give --out the real file, or remove the link)');
  if (!stats.isFile()) throw refuse(path, `is ${stats.isDirectory() ? 'a folder' : 'not a regular file (a FIFO, a device or a socket)'}; give --out a file path`);
  if (!options.force && !startsLikeReport(path)) {
    throw refuse(path, 'exists and is not a report mfmig wrote; pass --force to replace it, or give --out another path');
  }
}

/** True when the file at `path` begins like a report mfmig wrote (read without following a link or blocking). */
function startsLikeReport(path: string): boolean {
  const file = openRegularFile(path);
  if (file.problem !== null) return false;
  try {
    const buffer = Buffer.alloc(Math.min(file.size, REPORT_MARKER_BYTES));
    const read = readSync(file.fd, buffer, 0, buffer.length, 0);
    return isMfmigReport(buffer.subarray(0, read).toString('utf8'));
  } finally {
    closeSync(file.fd);
  }
}

function refuse(path: string, why: string): MfmigError {
  return new MfmigError('OUTPUT_REFUSED', `Refused to write the report to ${path}: it ${why}; no file was changed`, { context: { file: path } });
}

function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    // not created yet: its absolute path is what it will be
    return folder;
  }
}

function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a folder; the rename is atomic regardless
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
