import { SqlLexer } from './sql-lexer.js';

const cache = new Map<string, boolean>();
const CACHE_LIMIT = 500;

/**
 * True when a statement takes PostgreSQL-style numbered parameters (`$1`, `$2`, ...), read as
 * SQLite reads the statement (a `$1` inside a string, a quoted name or a comment is not one).
 * SQLite parses `$1` as a parameter named `1`, which better-sqlite3 binds from an object only:
 * see {@link bindNumbered}. Answers are cached per statement text.
 *
 * @example
 * usesNumberedParams('SELECT * FROM t WHERE id > $1'); // true
 * usesNumberedParams("SELECT '$1' WHERE id > ?"); // false
 */
export function usesNumberedParams(sql: string): boolean {
  if (!sql.includes('$')) return false;
  let known = cache.get(sql);
  if (known === undefined) {
    known = false;
    const lexer = new SqlLexer(sql);
    while (lexer.next()) {
      if (lexer.kind === 'parameter' && /^\$\d+$/.test(sql.slice(lexer.start, lexer.end))) {
        known = true;
        break;
      }
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(sql, known);
  }
  return known;
}

/**
 * The parameters of a statement as better-sqlite3 binds them: an object keyed `1`, `2`, ... for
 * a statement written with `$n` parameters, so that one statement text serves SQLite and
 * PostgreSQL alike (a parameter used twice is bound once); the list as it is otherwise.
 *
 * @example
 * bindNumbered('SELECT $1 + $1', [2]); // [{ 1: 2 }]
 */
export function bindNumbered(sql: string, params: readonly unknown[]): unknown[] {
  if (params.length === 0 || !usesNumberedParams(sql)) return [...params];
  const named: Record<string, unknown> = {};
  params.forEach((value, i) => {
    named[String(i + 1)] = value;
  });
  return [named];
}
