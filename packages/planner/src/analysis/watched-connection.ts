import type Database from 'better-sqlite3';

/**
 * The same connection, with `before(sql)` called before each `prepare` and `exec`: what a
 * migration runs, through Kysely, `ctx.exec` or `ctx.raw`, is seen before SQLite runs it.
 * Everything else is the connection's own (methods bound to it).
 *
 * @example
 * const watched = watchStatements(db, (sql) => console.log(sql));
 * openDatabase(watched).exec('DROP TABLE t'); // logs 'DROP TABLE t', then drops it
 */
export function watchStatements(db: Database.Database, before: (sql: string) => void): Database.Database {
  return new Proxy(db, {
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
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
