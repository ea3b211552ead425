import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MfmigError, isSameFile, realDatabasePath, wrapSqliteError } from '@mfmig/core';
import { openRegularFile } from '@mfmig/rollback';

/** Files SQLite keeps beside a database; an output file never goes there. */
const SIDE_FILES = ['', '-wal', '-shm', '-journal'];

/** Create a new file, failing when anything (a file, a symbolic link) is already at the path. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Options of {@link writeOutputFile}. */
export interface OutputFileOptions {
  /** The database the file is about (`--db`): it and its side files are never written. */
  database: string;
  /** Replace an existing regular file that is not one of ours (`--force`). */
  force: boolean;
  /** The option that sets `force`, when the command has one (named in the refusal). */
  forceFlag?: string;
  /** What the file is, for messages (`report`, `schema file`). */
  what: string;
  /** The option that names the path, for messages (`--out`). */
  flag: string;
  /** True when a file starting with `head` is one mfmig wrote (so it may be replaced). */
  isOurs: (head: string) => boolean;
  /** How many bytes of an existing file `isOurs` needs. */
  markerBytes: number;
}

/**
 * Writes an output file (a report, the schema file) where its option says, and nowhere else:
 * never over the database or its `-wal`/`-shm`/`-journal` (named in any way: symbolic links
 * resolved, hard links recognised), never through a symbolic link at the output path, never into
 * a FIFO, a device or a folder, and over an existing file only when it is one mfmig wrote
 * (`isOurs`) or with `force`. Each refusal is `OUTPUT_REFUSED` and leaves every file as it was. The text is written
 * to a new temp file in the same folder (created exclusively), fsynced, and renamed over the
 * path, so a reader sees the old file or the new one. Returns the path written.
 *
 * @example
 * writeOutputFile('./schema.sql', sql, { database: './knowledge.db', force: false, what: 'schema file', flag: '--schema-file', isOurs: (head) => head.startsWith('-- Schema'), markerBytes: 9 });
 */
export function writeOutputFile(out: string, text: string, options: OutputFileOptions): string {
  const path = resolve(out);
  assertWritable(path, options);
  const folder = dirname(path);
  let temp: string | undefined;
  try {
    mkdirSync(folder, { recursive: true });
    temp = join(folder, `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    const fd = openSync(temp, CREATE_NEW, 0o644);
    try {
      writeSync(fd, Buffer.from(text, 'utf8'));
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
    throw wrapSqliteError(error, 'USAGE', `Cannot write the ${options.what} to ${path}; give ${options.flag} a file path you can write`, { file: path });
  } finally {
    if (temp) removeQuietly(temp);
  }
}

/**
 * Throws `OUTPUT_REFUSED` when `out` is the database or a side file of it, or something that must
 * not be replaced (see {@link writeOutputFile}); a command checks before it does the work.
 *
 * @example
 * assertOutputPath('./knowledge.db', { ...options, database: './knowledge.db' }); // throws OUTPUT_REFUSED
 */
export function assertOutputPath(out: string, options: OutputFileOptions): void {
  assertWritable(resolve(out), options);
}

function assertWritable(path: string, options: OutputFileOptions): void {
  const target = join(realFolder(dirname(path)), basename(path));
  const database = resolve(options.database);
  const names = new Set([database, realDatabasePath(database)].flatMap((base) => SIDE_FILES.map((suffix) => `${base}${suffix}`)));
  if (names.has(path) || names.has(target) || [...names].some((name) => isSameFile(name, path))) {
    throw refuse(
      path,
      options,
      `is the database ${database} or one of its side files (-wal, -shm, -journal); the ${options.what} is never written there, --force or not`,
    );
  }
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // nothing there yet: a new file is created
  }
  if (stats.isSymbolicLink())
    throw refuse(path, options, `is a symbolic link; mfmig never writes through one, --force or not (give ${options.flag} the real file, or remove the link)`);
  if (!stats.isFile())
    throw refuse(
      path,
      options,
      `is ${stats.isDirectory() ? 'a folder' : 'not a regular file (a FIFO, a device or a socket)'}; give ${options.flag} a file path`,
    );
  if (!options.force && !startsLikeOurs(path, options)) {
    throw refuse(
      path,
      options,
      `exists and is not a ${options.what} mfmig wrote; ${options.forceFlag ? `pass ${options.forceFlag} to replace it, or ` : 'remove it, or '}give ${options.flag} another path`,
    );
  }
}

/** True when the file at `path` begins like one mfmig wrote (read without following a link or blocking). */
function startsLikeOurs(path: string, options: OutputFileOptions): boolean {
  const file = openRegularFile(path);
  if (file.problem !== null) return false;
  try {
    const buffer = Buffer.alloc(Math.min(file.size, options.markerBytes));
    const read = readSync(file.fd, buffer, 0, buffer.length, 0);
    return options.isOurs(buffer.subarray(0, read).toString('utf8'));
  } finally {
    closeSync(file.fd);
  }
}

function refuse(path: string, options: OutputFileOptions, why: string): MfmigError {
  return new MfmigError('OUTPUT_REFUSED', `Refused to write the ${options.what} to ${path}: it ${why}; no file was changed`, { context: { file: path } });
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
