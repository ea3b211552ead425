import { MfmigError, type SqliteConnection, wrapSqliteError } from '@mfmig/core';

/** The connection's change stamp when `quick_check` last passed on it. */
const passed = new WeakMap<SqliteConnection, string>();

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
 * A large rollback-journal file is checked on a snapshot (`conn.readSnapshot`): a kernel copy
 * stops the application's commits for a fraction of the time the check itself would.
 * `snapshotMinBytes` sets the size from which it does (default 64 MiB).
 *
 * @example
 * await assertDatabaseIntact(framework.context.connection); // throws DATABASE_CORRUPT for a damaged file
 */
export async function assertDatabaseIntact(conn: SqliteConnection, options: { snapshotMinBytes?: number } = {}): Promise<void> {
  let rows: string[];
  let before: string;
  try {
    before = await conn.changeStamp();
    if (passed.get(conn) === before) return;
    const snapshot = await conn.readSnapshot({ minBytes: options.snapshotMinBytes });
    try {
      rows = await (snapshot?.connection ?? conn).checkIntegrity('quick', 5);
    } finally {
      snapshot?.release();
    }
  } catch (error) {
    throw wrapSqliteError(error, 'DATABASE_CORRUPT', `Database ${conn.target} cannot be checked`, { file: conn.target });
  }
  if (rows.length > 0) {
    passed.delete(conn);
    throw new MfmigError(
      'DATABASE_CORRUPT',
      `Database ${conn.target} is corrupt (quick_check: ${rows.slice(0, 2).join('; ')}); restore it from a backup or run \`mfmig emergency-rollback corruption\``,
      { context: { file: conn.target, findings: rows } },
    );
  }
  passed.set(conn, before);
}
