import BetterSqlite3, { type Database } from 'better-sqlite3';
import { MfmigError, messageOf } from '../errors/index.js';

/**
 * True when SQLite refused a read-only connection because the file has a hot journal: a
 * rollback journal (`<file>-journal`) left by a process that stopped in the middle of a write
 * transaction (killed, or its machine lost power), which must be rolled back before anyone reads
 * the file, and which a read-only connection may not roll back.
 */
export function isHotJournalRefusal(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_READONLY_ROLLBACK';
}

/**
 * Rolls back the hot journal of `path` the way SQLite does on any read-write connection's first
 * read: the file returns to its last committed state, the one every reader sees, and nothing the
 * stopped process committed is lost. SQLite decides under its own locks whether the journal is
 * hot, so a writer that is still running is never disturbed. Refuses (DATABASE_READONLY, the
 * file unchanged) when the file cannot be opened for writing here.
 *
 * @example
 * rollBackHotJournal('/data/kb.db', './kb.db', 5000); // then open it read-only
 */
export function rollBackHotJournal(path: string, shown: string, busyTimeout: number): void {
  let raw: Database | undefined;
  try {
    raw = new BetterSqlite3(path, { fileMustExist: true });
    raw.pragma(`busy_timeout = ${busyTimeout}`);
    // the first read finds the hot journal and rolls it back
    raw.pragma('schema_version');
  } catch (error) {
    throw new MfmigError(
      'DATABASE_READONLY',
      `Database ${shown} was left in the middle of a write by a process that stopped; its journal (${shown}-journal) must be rolled back before the file can be read, and the file cannot be written here (${messageOf(error)}). Open it once with write access (any mfmig command that migrates, or sqlite3) to roll it back`,
      { cause: error, context: { file: path, reason: 'hot-journal' } },
    );
  } finally {
    if (raw?.open) raw.close();
  }
}
