import { messageOf } from '../errors/mfmig-error.js';
import { classifySqliteError } from '../errors/sqlite-errors.js';
import { regularFileProblem } from '../files/regular-file.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { openDatabaseFile } from './open-database.js';

/** How thorough a file check is: `quick_check` is O(N), `integrity_check` also checks indexes and UNIQUE. */
export type IntegrityLevel = 'quick' | 'full';

/** The outcome of checking a database file. */
export interface FileIntegrity {
  ok: boolean;
  level: IntegrityLevel;
  /** `ok`, or the first problems SQLite reports (or why the file cannot be opened). */
  result: string;
  durationMs: number;
}

/**
 * Opens a database file read-only and runs `PRAGMA integrity_check` (or `quick_check`). A file
 * that cannot be opened is reported as not ok, never thrown; one that is not a regular file (a
 * FIFO, a device, a folder) is reported without being opened, so the check never blocks.
 *
 * @example
 * checkDatabaseFile('./backups/kb.db', 'full').ok; // true
 */
export function checkDatabaseFile(path: string, level: IntegrityLevel = 'full'): FileIntegrity {
  const start = performance.now();
  const notRegular = regularFileProblem(path, { followSymlinks: true });
  if (notRegular !== null) return { ok: false, level, result: `${path} ${notRegular}`, durationMs: performance.now() - start };
  let db: DatabaseAdapter | undefined;
  try {
    db = openDatabaseFile(path, { readonly: true });
    const problems = db.checkIntegrity(level, 20);
    const ok = problems.length === 0;
    return { ok, level, result: ok ? 'ok' : problems.join('; '), durationMs: performance.now() - start };
  } catch (error) {
    const kind = classifySqliteError(error);
    const result = kind ? `${kind}: ${messageOf(error)}` : messageOf(error);
    return { ok: false, level, result, durationMs: performance.now() - start };
  } finally {
    db?.close();
  }
}
