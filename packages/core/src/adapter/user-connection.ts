import type { Database } from 'better-sqlite3';
import type { DatabaseAdapter } from './database-adapter.js';
import type { SqliteConnection } from './sqlite-connection.js';

/**
 * The driver's own connection, as mfmig hands it to users' code: the `database` option of the
 * configuration, a migration's `ctx.raw`, a reverse function's `raw`, `RollbackManager.database`
 * and the `databaseReopened` event. mfmig's own code never queries through it: it goes through the
 * adapter's methods.
 */
export type SqliteDatabase = Database;

/**
 * The connection under `adapter` (or under a `SqliteConnection`), for users' own code (see {@link SqliteDatabase}): the one place
 * outside the SQLite dialect's folder gets the driver's handle from.
 *
 * @example
 * transformation.reverse({ raw: connectionForUserCode(conn), connection: conn, transformation });
 */
export function connectionForUserCode(source: DatabaseAdapter | SqliteConnection): SqliteDatabase {
  return 'stepGuard' in source ? source.adapter.raw : source.raw;
}
