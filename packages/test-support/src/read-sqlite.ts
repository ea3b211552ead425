import { openDatabase } from '@mfmig/core';

/**
 * The rows of one query on a SQLite file, read on a read-only connection that is closed again:
 * how a test looks at what a command left behind without holding the file open.
 *
 * @example
 * expect(readSqlite(db, 'SELECT version FROM mfmig_history')).toEqual([{ version: 1 }]);
 */
export function readSqlite(path: string, sql: string, ...params: unknown[]): unknown[] {
  const adapter = openDatabase(path, { mode: 'readonly' });
  try {
    return adapter.all(sql, params);
  } finally {
    adapter.close();
  }
}
