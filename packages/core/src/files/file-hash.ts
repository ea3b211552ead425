import { createHash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { MfmigError } from '../errors/mfmig-error.js';
import { type RegularFileOptions, openRegularFile } from './regular-file.js';

const CHUNK = 4 * 1024 * 1024;

/**
 * sha256 (hex) of a regular file's bytes, read in 4 MiB chunks. The file is opened without
 * blocking and checked before a byte is read: a FIFO, a device or a folder (and, with
 * `followSymlinks: false`, a symbolic link, or with `expectedSize`, a file of another size) is
 * refused with `BACKUP_INVALID` instead of being read forever.
 *
 * @example
 * const digest = sha256File('./backups/kb.db'); // 'e3b0c442…'
 */
export function sha256File(path: string, options: RegularFileOptions = { followSymlinks: true }): string {
  const file = openRegularFile(path, options);
  if (file.problem !== null) {
    throw new MfmigError('BACKUP_INVALID', `${path} ${file.problem}; only regular files are hashed`, { context: { file: path } });
  }
  try {
    return sha256OfDescriptor(file.fd);
  } finally {
    closeSync(file.fd);
  }
}

/**
 * sha256 (hex) of what an open descriptor holds, from its start.
 *
 * @example
 * const file = openRegularFile(path);
 * if (file.problem === null) sha256OfDescriptor(file.fd);
 */
export function sha256OfDescriptor(fd: number): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  let position = 0;
  for (;;) {
    const read = readSync(fd, buffer, 0, CHUNK, position);
    if (read === 0) break;
    position += read;
    hash.update(buffer.subarray(0, read));
  }
  return hash.digest('hex');
}
