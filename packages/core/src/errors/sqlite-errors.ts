import { MfmigError, type MfmigErrorContext, isMfmigError, messageOf } from './mfmig-error.js';

/** SQLite result codes (as better-sqlite3 names them) mapped to mfmig error codes. */
const SQLITE_CODE_MAP: Record<string, MfmigError['code']> = {
  SQLITE_FULL: 'DISK_FULL',
  SQLITE_IOERR_WRITE: 'DISK_FULL',
  SQLITE_CORRUPT: 'DATABASE_CORRUPT',
  SQLITE_NOTADB: 'DATABASE_INVALID',
  SQLITE_READONLY: 'DATABASE_READONLY',
  SQLITE_CANTOPEN: 'DATABASE_NOT_FOUND',
};

/** The mfmig code for an error raised by SQLite or the file system, if it is a known kind. */
export function classifySqliteError(error: unknown): MfmigError['code'] | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (SQLITE_CODE_MAP[code]) return SQLITE_CODE_MAP[code];
  if (code === 'EFBIG' || code === 'ENOSPC') return 'DISK_FULL';
  if (code.startsWith('SQLITE_CORRUPT')) return 'DATABASE_CORRUPT';
  if (code.startsWith('SQLITE_READONLY')) return 'DATABASE_READONLY';
  if (code.startsWith('SQLITE_IOERR')) return 'DISK_FULL';
  return undefined;
}

const WORDS: Partial<Record<MfmigError['code'], string>> = {
  DISK_FULL: 'disk full or write error',
  DATABASE_CORRUPT: 'the database file is corrupt',
  DATABASE_INVALID: 'the file is not a SQLite database',
  DATABASE_READONLY: 'the database is read-only',
};

/**
 * Wraps an error from SQLite into an MfmigError. Environmental failures (disk full, corrupt
 * file, read-only) keep their own code so that callers can tell them from a bad migration.
 */
export function wrapSqliteError(error: unknown, fallback: MfmigError['code'], message: string, context: MfmigErrorContext = {}): MfmigError {
  if (isMfmigError(error)) return error;
  const code = classifySqliteError(error) ?? fallback;
  const words = WORDS[code];
  const detail = words ? `${words} (${messageOf(error)})` : messageOf(error);
  return new MfmigError(code, `${message}: ${detail}`, { cause: error, context });
}
