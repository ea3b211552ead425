import type { DatabaseAdapter } from './database-adapter.js';
import { SqliteConnection } from './sqlite-connection.js';
import { watchStatements } from './watch-statements.js';

/** What a statement watcher reads of the watched database at the moment before a statement runs, synchronously. */
export interface WatchedStatementMoment {
  /** Whether the connection enforces foreign keys now (`PRAGMA foreign_keys`), read without being watched itself. */
  foreignKeysEnabled(): boolean;
}

/**
 * The same SQLite database on a second {@link SqliteConnection} (no second database connection)
 * whose every statement, the ones a migration body runs through `ctx.exec`, its Kysely instance or
 * `ctx.raw` included, calls `before(sql, moment)` before SQLite prepares or runs it. A migration
 * body on SQLite runs its statements synchronously, so `before` is synchronous too: it reads the
 * schema at that moment through the unwatched connection's introspector (its `*Sync` methods)
 * and the foreign-key setting through `moment`. It keeps no compiled statement: a statement run
 * twice is seen twice. Closing the watched connection leaves the database open: `conn`'s owner
 * closes it.
 *
 * @example
 * const watched = watchSqliteStatements(copy, (sql, moment) => {
 *   if (moment.foreignKeysEnabled()) console.log(sql, copy.introspector.foreignKeysSync().length);
 * });
 * await watched.executeScript('DROP TABLE author'); // logs before the drop
 */
export function watchSqliteStatements(conn: SqliteConnection, before: (sql: string, moment: WatchedStatementMoment) => void): SqliteConnection {
  const adapter: DatabaseAdapter = conn.adapter;
  const moment: WatchedStatementMoment = { foreignKeysEnabled: () => adapter.foreignKeysEnabled() };
  // the watched adapter keeps no statement compiled in any connection over it, so that `before` sees each run
  return new SqliteConnection(watchStatements(adapter, (sql) => before(sql, moment)));
}
