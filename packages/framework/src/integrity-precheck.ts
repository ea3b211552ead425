import { type DatabaseAdapter, MfmigError, wrapSqliteError } from '@mfmig/core';

/**
 * `PRAGMA quick_check` before a run: migrating a damaged file would spread the damage, so a
 * corrupt database is refused (DATABASE_CORRUPT) before anything is written.
 */
export function assertDatabaseIntact(adapter: DatabaseAdapter): void {
  let rows: string[];
  try {
    rows = adapter.raw.prepare('PRAGMA quick_check(5)').pluck().all() as string[];
  } catch (error) {
    throw wrapSqliteError(error, 'DATABASE_CORRUPT', `Database ${adapter.filePath} cannot be checked`, { file: adapter.filePath });
  }
  if (rows.length !== 1 || rows[0] !== 'ok') {
    throw new MfmigError(
      'DATABASE_CORRUPT',
      `Database ${adapter.filePath} is corrupt (quick_check: ${rows.slice(0, 2).join('; ')}); restore it from a backup or run \`mfmig emergency-rollback corruption\``,
      { context: { file: adapter.filePath, findings: rows } },
    );
  }
}
