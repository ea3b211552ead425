import { isSqliteConnection } from '../config/config.js';
import { type DatabaseLike, adapterOf } from './adapter-of.js';
import { SqliteConnection } from './sqlite-connection.js';

const connections = new WeakMap<object, SqliteConnection>();

/**
 * A SQLite database as a connection on the dialect boundary: a connection is returned as it is;
 * a better-sqlite3 database or an adapter gets one connection over its adapter (the same on every
 * call, so its introspector's statements stay prepared). Callers do not close it: its owner closes
 * the database.
 *
 * @example
 * await sqliteConnectionOf(new Database('./kb.db')).hasTable('mfmig_history'); // true once migrated
 */
export function sqliteConnectionOf(db: DatabaseLike | SqliteConnection): SqliteConnection {
  if (isSqliteConnection(db)) return db;
  const adapter = adapterOf(db);
  let conn = connections.get(adapter);
  if (!conn) connections.set(adapter, (conn = new SqliteConnection(adapter)));
  return conn;
}
