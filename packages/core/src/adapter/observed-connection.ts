import type { Database } from 'better-sqlite3';
import type { DatabaseAdapter } from './database-adapter.js';
import { splitSqlStatements } from './sql-splitter.js';

/** Sees the statements a migration runs (through `ctx.exec`, its Kysely instance or `ctx.raw`). */
export interface StatementObserver {
  /** After `sql` ran. */
  after(sql: string): void;
  /** `sql` was prepared on the raw handle (it may run later, any number of times). */
  prepared(sql: string): void;
}

/**
 * The connection a migration gets as `ctx.raw`: every statement it prepares or executes is checked first
 * (`check`: a module may not attach, vacuum or touch mfmig's tables, however its SQL is built),
 * and while its statements are watched, `exec` runs statement by statement and prepared
 * statements report each run, so that every statement is seen; everything else is the handle's own.
 *
 * @example
 * const raw = observedConnection(adapter, () => watcher, assertAllowed);
 * raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)'); // checked, run, then watcher.after(...)
 */
export function observedConnection(adapter: DatabaseAdapter, current: () => StatementObserver | undefined, check: (sql: string) => void): Database {
  const proxy: Database = new Proxy(adapter.raw, {
    get(target, property) {
      if (property === 'exec') {
        return (sql: string) => {
          const observer = current();
          for (const statement of splitSqlStatements(sql)) {
            check(statement);
            target.exec(statement);
            observer?.after(statement);
          }
          return proxy;
        };
      }
      if (property === 'prepare') {
        return (sql: string) => {
          check(sql);
          current()?.prepared(sql);
          return observedStatement(target.prepare(sql), sql, current);
        };
      }
      return ownMember(target, property);
    },
  });
  return proxy;
}

const RUNS = new Set<PropertyKey>(['run', 'get', 'all']);

/** A prepared statement that tells the observer after each run (chained calls keep the wrapper). */
function observedStatement<T extends object>(statement: T, sql: string, current: () => StatementObserver | undefined): T {
  const proxy: T = new Proxy(statement, {
    get(target, property) {
      const member = ownMember(target, property);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const result: unknown = member(...args);
        if (RUNS.has(property)) current()?.after(sql);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

/** A member of `target`, with methods bound to it: what a proxy passes through unchanged. */
export function ownMember(target: object, property: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, property, target);
  return typeof value === 'function' ? value.bind(target) : value;
}
