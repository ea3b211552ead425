import { type DatabaseAdapter, MfmigError, takeReadSnapshot, wrapSqliteError } from '@mfmig/core';
import type Database from 'better-sqlite3';

/** What the database looked like when `quick_check` last passed on a connection. */
interface PassedCheck {
  schemaVersion: number;
  changes: number;
}

const passed = new WeakMap<Database.Database, PassedCheck>();

function stateOf(db: Database.Database): PassedCheck {
  return {
    schemaVersion: Number(db.pragma('schema_version', { simple: true })),
    changes: Number(db.prepare('SELECT total_changes()').pluck().get()),
  };
}

/**
 * `PRAGMA quick_check` before a run: migrating a damaged file would spread the damage, so a
 * corrupt database is refused (DATABASE_CORRUPT) before anything is written. A check that
 * passed on the same connection is not repeated while this connection wrote nothing
 * (`total_changes()`) and no connection changed the schema (`PRAGMA schema_version`):
 * `mfmig migrate` checks before planning and before its run, and would otherwise read the whole
 * file again. An application's commits beside the run do not count: they do not damage the
 * file, and with a rollback journal each check stops them for as long as it reads (three 5 s
 * lockouts of a 1,000,000-row knowledge base in one `migrate`).
 *
 * A large rollback-journal file is checked on a snapshot (`takeReadSnapshot`): a kernel copy
 * stops the application's commits for a fraction of the time the check itself would.
 * `snapshotMinBytes` sets the size from which it does (default 64 MiB).
 */
export function assertDatabaseIntact(adapter: DatabaseAdapter, options: { snapshotMinBytes?: number } = {}): void {
  const db = adapter.raw;
  let rows: string[];
  let before: PassedCheck;
  try {
    before = stateOf(db);
    const last = passed.get(db);
    if (last && last.schemaVersion === before.schemaVersion && last.changes === before.changes) return;
    const snapshot = takeReadSnapshot(adapter, { minBytes: options.snapshotMinBytes });
    try {
      rows = (snapshot?.adapter.raw ?? db).prepare('PRAGMA quick_check(5)').pluck().all() as string[];
    } finally {
      snapshot?.release();
    }
  } catch (error) {
    throw wrapSqliteError(error, 'DATABASE_CORRUPT', `Database ${adapter.filePath} cannot be checked`, { file: adapter.filePath });
  }
  if (rows.length !== 1 || rows[0] !== 'ok') {
    passed.delete(db);
    throw new MfmigError(
      'DATABASE_CORRUPT',
      `Database ${adapter.filePath} is corrupt (quick_check: ${rows.slice(0, 2).join('; ')}); restore it from a backup or run \`mfmig emergency-rollback corruption\``,
      { context: { file: adapter.filePath, findings: rows } },
    );
  }
  passed.set(db, before);
}
