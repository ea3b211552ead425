import { type Stats, closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';

/** Options of {@link openRegularFile} and {@link regularFileProblem}. */
export interface RegularFileOptions {
  /** Follow a symbolic link at the path (default false: a link is refused). */
  followSymlinks?: boolean;
  /** The size the file must have, in bytes (a manifest's `sizeBytes`). */
  expectedSize?: number;
  /** The largest size accepted, in bytes. */
  maxSize?: number;
}

/** A file opened for reading, or why it was not. */
export type OpenedFile = { fd: number; size: number; problem: null } | { fd: null; size: null; problem: string };

/**
 * Opens a file for reading only when it is a regular file: `O_NOFOLLOW` (unless
 * `followSymlinks`) so that a symbolic link is never read through, `O_NONBLOCK` so that a FIFO
 * or a device never blocks the open, then `fstat` of the descriptor itself (no race with a
 * rename) for its type and size. Never throws for a bad file: `problem` says what is wrong, in
 * words that follow the path ("is a FIFO"). Close `fd` with `closeSync`.
 *
 * @example
 * const file = openRegularFile(backup.path, { expectedSize: backup.sizeBytes });
 * if (file.problem !== null) return `the copy ${backup.path} ${file.problem}`;
 */
export function openRegularFile(path: string, options: RegularFileOptions = {}): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (options.followSymlinks ? 0 : constants.O_NOFOLLOW));
  } catch (error) {
    return { fd: null, size: null, problem: openProblem(path, error as NodeJS.ErrnoException) };
  }
  const stats = fstatSync(fd);
  const problem = statsProblem(stats, options);
  if (problem !== null) {
    closeSync(fd);
    return { fd: null, size: null, problem };
  }
  return { fd, size: stats.size, problem: null };
}

/**
 * Why `path` is not a regular file of the expected size, or null when it is, from `lstat` (or
 * `stat` with `followSymlinks`) alone: it never opens the file, so it never blocks.
 *
 * @example
 * regularFileProblem('./backups/kb-1a2b3c4d/x.db'); // null, or 'is a symbolic link'
 */
export function regularFileProblem(path: string, options: RegularFileOptions = {}): string | null {
  let stats: Stats;
  try {
    stats = options.followSymlinks ? statSync(path) : lstatSync(path);
  } catch (error) {
    return openProblem(path, error as NodeJS.ErrnoException);
  }
  return statsProblem(stats, options);
}

/**
 * Reads a whole regular file (at most `maxSize` bytes) as text, without following a symbolic
 * link and without blocking on a FIFO; `problem` says why not.
 *
 * @example
 * const manifest = readRegularFile(path, { maxSize: 1 << 20 });
 */
export function readRegularFile(path: string, options: RegularFileOptions = {}): { text: string; problem: null } | { text: null; problem: string } {
  const file = openRegularFile(path, options);
  if (file.problem !== null) return { text: null, problem: file.problem };
  try {
    const buffer = Buffer.alloc(file.size);
    let read = 0;
    while (read < file.size) {
      const n = readSync(file.fd, buffer, read, file.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: buffer.subarray(0, read).toString('utf8'), problem: null };
  } finally {
    closeSync(file.fd);
  }
}

/** What kind of file system object `stats` describes, as a phrase. */
export function describeKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function statsProblem(stats: Stats, options: RegularFileOptions): string | null {
  if (!stats.isFile()) return `is ${describeKind(stats)}, not a regular file`;
  if (options.expectedSize !== undefined && stats.size !== options.expectedSize)
    return `is ${stats.size} bytes, not the ${options.expectedSize} its manifest records`;
  if (options.maxSize !== undefined && stats.size > options.maxSize) return `is ${stats.size} bytes, more than the ${options.maxSize} accepted`;
  return null;
}

function openProblem(path: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'is missing';
  if (error.code === 'ELOOP') {
    // O_NOFOLLOW on a link gives ELOOP; say what it is, without following it
    try {
      if (lstatSync(path).isSymbolicLink()) return 'is a symbolic link, not a regular file';
    } catch {
      // gone meanwhile: the error code says enough
    }
  }
  return `cannot be opened (${error.code ?? error.message})`;
}
