import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

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
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, 'wx');
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

/**
 * Copies a file in chunks into a new file `target`, reporting bytes copied, and fsyncs the copy.
 * An existing `target` (a planted link included) is an error (`EEXIST`), never overwritten or followed.
 *
 * @example
 * copyFileDurably('a.db', 'b.db', (done, total) => console.log(done, total));
 */
export function copyFileDurably(source: string, target: string, onChunk?: (done: number, total: number) => void, chunkBytes = 8 * 1024 * 1024): number {
  const input = openSync(source, 'r');
  let output: number;
  try {
    output = openSync(target, 'wx');
  } catch (error) {
    closeSync(input);
    throw error;
  }
  let done = 0;
  try {
    const total = fstatSync(input).size;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const read = readSync(input, buffer, 0, chunkBytes, null);
      if (read === 0) break;
      let written = 0;
      while (written < read) written += writeSync(output, buffer, written, read - written);
      done += read;
      onChunk?.(done, total);
    }
    fsyncSync(output);
  } finally {
    closeSync(input);
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
