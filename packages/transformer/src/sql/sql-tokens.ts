import { skipSqlQuoted } from '@mfmig/core';

/** One token of a SQLite statement, with its parenthesis depth. */
export interface SqlToken {
  kind: 'word' | 'quoted' | 'string' | 'param' | 'punct' | 'other';
  /** Source text of the token. */
  text: string;
  /** For words: upper case; for quoted identifiers: the unquoted name. */
  value: string;
  start: number;
  end: number;
  depth: number;
}

/**
 * Splits one SQLite statement into tokens (comments dropped), tracking parenthesis depth, so
 * that callers can find top-level clauses without a full parser.
 *
 * @example
 * tokenizeSql("SELECT a FROM t WHERE b = 'x'").filter((t) => t.depth === 0).map((t) => t.value);
 */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let i = 0;
  const n = sql.length;
  const push = (kind: SqlToken['kind'], start: number, end: number, value: string, d = depth) =>
    tokens.push({ kind, text: sql.slice(start, end), value, start, end, depth: d });
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'") {
      const end = skipSqlQuoted(sql, i, "'");
      push('string', i, end, sql.slice(i + 1, end - 1).replace(/''/g, "'"));
      i = end;
    } else if (c === '"' || c === '`') {
      const end = skipSqlQuoted(sql, i, c);
      push('quoted', i, end, sql.slice(i + 1, end - 1).split(c + c).join(c));
      i = end;
    } else if (c === '[') {
      const close = sql.indexOf(']', i + 1);
      const end = close === -1 ? n : close + 1;
      push('quoted', i, end, sql.slice(i + 1, end - 1));
      i = end;
    } else if ((c === '@' || c === ':' || c === '$') && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      push('param', i, j, sql.slice(i + 1, j));
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      push('word', i, j, sql.slice(i, j).toUpperCase());
      i = j;
    } else if (c === '(') {
      push('punct', i, i + 1, c);
      depth++;
      i++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
      push('punct', i, i + 1, c);
      i++;
    } else if (c === ',' || c === ';' || c === '.') {
      push('punct', i, i + 1, c);
      i++;
    } else {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(c) && /[0-9A-Za-z_.]/.test(sql[j]!)) j++;
      push('other', i, j, sql.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** True when a token names `table` (bare or quoted, case-insensitive as SQLite compares names). */
export function namesTable(token: SqlToken | undefined, table: string): boolean {
  if (!token) return false;
  if (token.kind !== 'word' && token.kind !== 'quoted') return false;
  return token.kind === 'word' ? token.value === table.toUpperCase() : token.value.toLowerCase() === table.toLowerCase();
}
