import { skipSqlQuoted } from '@mfmig/core';

/** The kinds of token SQLite's tokenizer distinguishes (comments and whitespace are dropped). */
export type SqlTokenKind = 'word' | 'identifier' | 'string' | 'number' | 'blob' | 'parameter' | 'punct';

/** One SQL token: `text` as written, `value` unquoted (identifiers) or as written, `start` its offset. */
export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  value: string;
  start?: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const TWO_CHAR_OPS = new Set(['||', '<<', '>>', '<=', '>=', '==', '!=', '<>', '->']);

/**
 * Splits SQLite SQL into tokens the way SQLite reads it: comments and whitespace are dropped,
 * quoted identifiers (`"x"`, `[x]`, `` `x` ``) are unquoted into `value`, string and blob
 * literals are kept as written.
 *
 * @example
 * tokenizeSql('CREATE TABLE "t" (a INT) -- note').map((t) => t.value); // ['CREATE', 'TABLE', 't', '(', 'a', 'INT', ')']
 */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'") {
      const end = skipSqlQuoted(sql, i, "'");
      tokens.push({ kind: 'string', text: sql.slice(i, end), value: sql.slice(i, end), start: i });
      i = end;
    } else if (c === '"' || c === '`') {
      const end = skipSqlQuoted(sql, i, c);
      const text = sql.slice(i, end);
      tokens.push({
        kind: 'identifier',
        text,
        value: text
          .slice(1, -1)
          .split(c + c)
          .join(c),
        start: i,
      });
      i = end;
    } else if (c === '[') {
      const close = sql.indexOf(']', i + 1);
      const end = close === -1 ? n : close + 1;
      tokens.push({ kind: 'identifier', text: sql.slice(i, end), value: sql.slice(i + 1, end - 1), start: i });
      i = end;
    } else if ((c === 'x' || c === 'X') && next === "'") {
      const end = skipSqlQuoted(sql, i + 1, "'");
      tokens.push({ kind: 'blob', text: sql.slice(i, end), value: sql.slice(i, end), start: i });
      i = end;
    } else if (DIGIT.test(c) || (c === '.' && next !== undefined && DIGIT.test(next))) {
      const end = readNumber(sql, i);
      tokens.push({ kind: 'number', text: sql.slice(i, end), value: sql.slice(i, end), start: i });
      i = end;
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < n && WORD_PART.test(sql[end]!)) end++;
      const text = sql.slice(i, end);
      tokens.push({ kind: 'word', text, value: text, start: i });
      i = end;
    } else if (c === '?' || c === ':' || c === '@' || c === '$') {
      let end = i + 1;
      while (end < n && WORD_PART.test(sql[end]!)) end++;
      tokens.push({ kind: 'parameter', text: sql.slice(i, end), value: sql.slice(i, end), start: i });
      i = end;
    } else {
      const three = sql.slice(i, i + 3);
      const two = sql.slice(i, i + 2);
      const text = three === '->>' ? three : TWO_CHAR_OPS.has(two) ? two : c;
      tokens.push({ kind: 'punct', text, value: text, start: i });
      i += text.length;
    }
  }
  return tokens;
}

function readNumber(sql: string, start: number): number {
  let i = start;
  if (sql[i] === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
    i += 2;
    while (i < sql.length && /[0-9A-Fa-f_]/.test(sql[i]!)) i++;
    return i;
  }
  while (i < sql.length && /[0-9_.]/.test(sql[i]!)) i++;
  if (sql[i] === 'e' || sql[i] === 'E') {
    let j = i + 1;
    if (sql[j] === '+' || sql[j] === '-') j++;
    if (j < sql.length && DIGIT.test(sql[j]!)) {
      i = j;
      while (i < sql.length && DIGIT.test(sql[i]!)) i++;
    }
  }
  return i;
}

/** True when `token` is the keyword `word` (case-insensitive; quoted identifiers never are). */
export function isKeyword(token: SqlToken | undefined, ...words: string[]): boolean {
  if (token?.kind !== 'word') return false;
  const upper = token.value.toUpperCase();
  return words.includes(upper);
}
