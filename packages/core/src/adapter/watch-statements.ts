import type { Database } from 'better-sqlite3';
import type { DatabaseAdapter } from './database-adapter.js';
import { ownMember } from './observed-connection.js';
import { SqliteAdapter } from './sqlite-adapter.js';

/**
 * The same connection, with `before(sql)` called before each statement is prepared or executed:
 * what a migration runs, through Kysely, `ctx.exec` or `ctx.raw`, is seen before SQLite runs it.
 * The adapter returned never closes the connection; its owner does.
 *
 * @example
 * const watched = watchStatements(adapter, (sql) => console.log(sql));
 * watched.exec('DROP TABLE t'); // logs 'DROP TABLE t', then drops it
 */
export function watchStatements(adapter: DatabaseAdapter, before: (sql: string) => void): DatabaseAdapter {
  const proxy = new Proxy(adapter.raw, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          before(sql);
          return target.prepare(sql);
        };
      }
      if (property === 'exec') {
        return (sql: string) => {
          before(sql);
          return target.exec(sql);
        };
      }
      return ownMember(target, property);
    },
  }) as Database;
  return new SqliteAdapter(proxy, { ownsConnection: false, watchesStatements: true });
}
