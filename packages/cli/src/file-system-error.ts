import { MfmigError, isMfmigError } from '@mfmig/core';

/** Node system error codes that come from a path the user gave (a folder where a file belongs, no permission...). */
const PATH_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENAMETOOLONG', 'ELOOP', 'EINVAL']);

/**
 * The coded error for a raw file-system error that escaped a command: a bad path given on the
 * command line is bad input (`USAGE`), a full disk is `DISK_FULL`. Anything else is returned as it is.
 *
 * @example
 * fileSystemError(Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR', syscall: 'mkdir' })).code; // 'USAGE'
 */
export function fileSystemError(error: unknown): unknown {
  if (isMfmigError(error) || !(error instanceof Error)) return error;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string') return error;
  if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT')
    return new MfmigError('DISK_FULL', `disk full or write error: ${error.message}`, { cause: error });
  if (PATH_CODES.has(code)) {
    return new MfmigError('USAGE', `${error.message}; check the paths given with --db, --migrations, --backups or --out`, { cause: error });
  }
  return error;
}
