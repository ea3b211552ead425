import { MfmigError } from '../errors/index.js';
import type { PreparedStatement } from './database-adapter.js';

/**
 * How many statements a {@link SqliteConnection} keeps compiled by default. The statements a
 * connection runs over and over (a row move of a put-back, per pair of rows; a single-row write
 * in a loop) are a handful; 100 holds them many times over, while SQL whose text changes with
 * every call (names or values written into it) cannot hold more than 100 compiled statements, a
 * few kilobytes each.
 */
export const DEFAULT_STATEMENT_CACHE_SIZE = 100;

/**
 * The compiled statements of one connection, keyed by their SQL text, at most `size` of them: the
 * least recently used is dropped to make room. A statement is taken from the cache only when it is
 * not busy (iterating); one that failed to compile is not kept. SQLite compiles a kept statement
 * again by itself when the schema changed since (`SQLITE_SCHEMA`). `size` 0 keeps none.
 *
 * @example
 * const cache = new StatementCache(100);
 * const insert = cache.statement('INSERT INTO t (v) VALUES (?)', (sql) => adapter.prepare(sql));
 * cache.statement('INSERT INTO t (v) VALUES (?)', (sql) => adapter.prepare(sql)) === insert; // true
 */
export class StatementCache {
  readonly #statements = new Map<string, PreparedStatement>();

  constructor(readonly size: number = DEFAULT_STATEMENT_CACHE_SIZE) {
    if (!Number.isSafeInteger(size) || size < 0) throw new MfmigError('USAGE', `statementCache must be a whole number >= 0, not ${String(size)}`);
  }

  /** How many statements are kept now. */
  get length(): number {
    return this.#statements.size;
  }

  /** The kept statement of `sql`, or the one `prepare` compiles (kept, unless one of the same text is busy). */
  statement(sql: string, prepare: (sql: string) => PreparedStatement): PreparedStatement {
    const kept = this.#statements.get(sql);
    if (kept && !isBusy(kept)) {
      // a Map iterates in insertion order: set again, it is the most recently used
      this.#statements.delete(sql);
      this.#statements.set(sql, kept);
      return kept;
    }
    const statement = prepare(sql);
    if (kept || this.size === 0) return statement;
    this.#statements.set(sql, statement);
    if (this.#statements.size > this.size) this.#statements.delete(this.#statements.keys().next().value!);
    return statement;
  }

  /** Forgets every statement (the connection closes). */
  clear(): void {
    this.#statements.clear();
  }
}

/** True while a statement iterates (better-sqlite3's `busy`): it cannot run again until its iterator ends. */
function isBusy(statement: PreparedStatement): boolean {
  return (statement as { busy?: boolean }).busy === true;
}
