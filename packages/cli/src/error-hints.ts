import type { MfmigErrorCode } from '@mfmig/core';

/** What to do next, by error code: the command-line advice library messages leave out. */
const HINTS: Partial<Record<MfmigErrorCode, string>> = {
  BACKUP_OTHER_DATABASE: 'give --db the database it belongs to, or restore it into this one on purpose with `mfmig restore <backup> --allow-other-database`',
};

/**
 * The error message with the command-line hint for its code, when there is one.
 *
 * @example
 * withHint('Backup x belongs to the database a.db …', 'BACKUP_OTHER_DATABASE');
 */
export function withHint(message: string, code: MfmigErrorCode | 'INTERNAL'): string {
  const hint = code === 'INTERNAL' ? undefined : HINTS[code];
  return hint ? `${message}; ${hint}` : message;
}
