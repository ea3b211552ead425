import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MfmigError } from '../errors/mfmig-error.js';
import { type RegularFileOptions, openRegularFile } from './regular-file.js';

/** Flags that create a new file and fail when anything (a file, a symbolic link) is already at the path. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Flushes a file's data to disk. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory entry (a rename or a new file) to disk; a no-op where the OS refuses. */
export function fsyncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file so that readers see the old content or the new one, never a part: temp file in
 * the same folder, fsync, rename over, fsync of the folder. The temporary file has a name no one
 * can guess and is created new ('wx': an existing name, a planted link included, is an error).
 *
 * @example
 * writeFileAtomic('./backups/x.json', JSON.stringify(manifest));
 */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  // an unguessable name, created exclusively: a link planted under a predictable one is never written through
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, CREATE_NEW, 0o644);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
  fsyncDirectory(dirname(path));
}

/** Options of {@link copyFileDurably}. */
export interface CopyFileOptions {
  onChunk?: (done: number, total: number) => void;
  chunkBytes?: number;
  /** What the source must be (default: a regular file, symbolic links followed). */
  source?: RegularFileOptions;
}

/**
 * Copies a regular file in chunks, reporting bytes copied, and fsyncs the copy. The source is
 * opened without blocking and checked first (a FIFO or a device is refused with
 * `RESTORE_FAILED`, never read forever); the target is created new (`O_EXCL`), so nothing that
 * is already there, a symbolic link included, is written through.
 *
 * @example
 * copyFileDurably('a.db', 'b.db', { onChunk: (done, total) => console.log(done, total) });
 */
export function copyFileDurably(source: string, target: string, options: CopyFileOptions = {}): number {
  const chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
  const input = openRegularFile(source, options.source ?? { followSymlinks: true });
  if (input.problem !== null) {
    throw new MfmigError('RESTORE_FAILED', `${source} ${input.problem}; it was not copied`, { context: { file: source } });
  }
  let output: number;
  try {
    output = openSync(target, CREATE_NEW, 0o644);
  } catch (error) {
    closeSync(input.fd);
    throw error;
  }
  let done = 0;
  try {
    const total = input.size;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const read = readSync(input.fd, buffer, 0, chunkBytes, done);
      if (read === 0) break;
      let written = 0;
      while (written < read) written += writeSync(output, buffer, written, read - written);
      done += read;
      options.onChunk?.(done, total);
    }
    fsyncSync(output);
  } finally {
    closeSync(input.fd);
    closeSync(output);
  }
  return done;
}

/** Removes a file, ignoring a missing one. */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
