import { skipSqlQuoted } from './sql-splitter.js';

/** One token of SQLite SQL. Comments and whitespace are not tokens. */
export interface SqlToken {
  /** `word`: a keyword or bare identifier; `identifier`: a quoted name (`"x"`, `` `x` ``, `[x]`); `string`: a `'literal'`; `punct`: anything else, one character. */
  kind: 'word' | 'identifier' | 'string' | 'punct';
  /** Upper-cased for words, the unquoted name for identifiers, the raw text otherwise. */
  value: string;
  /** The token as written. */
  text: string;
  /** Offset of the token in the text. */
  start: number;
}

/**
 * Tokenizes SQLite SQL the way SQLite quotes it: `'strings'` with doubled quotes, `"names"`,
 * `` `names` `` and `[names]`, `--` and block comments skipped.
 *
 * @example
 * tokenizeSql('DELETE FROM [my table] -- gone').map((t) => t.value); // ['DELETE', 'FROM', 'my table']
 */
export function tokenizeSql(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'") {
      const end = skipSqlQuoted(text, i, c);
      tokens.push({ kind: 'string', value: text.slice(i, end), text: text.slice(i, end), start: i });
      i = end;
    } else if (c === '"' || c === '`') {
      const end = skipSqlQuoted(text, i, c);
      tokens.push({ kind: 'identifier', value: text.slice(i + 1, end - 1).split(c + c).join(c), text: text.slice(i, end), start: i });
      i = end;
    } else if (c === '[') {
      const close = text.indexOf(']', i + 1);
      const end = close === -1 ? n : close + 1;
      tokens.push({ kind: 'identifier', value: text.slice(i + 1, close === -1 ? n : close), text: text.slice(i, end), start: i });
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(text[j]!)) j++;
      tokens.push({ kind: 'word', value: text.slice(i, j).toUpperCase(), text: text.slice(i, j), start: i });
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      tokens.push({ kind: 'punct', value: c, text: c, start: i });
      i++;
    }
  }
  return tokens;
}

/** The name a token stands for: the identifier for quoted names, the original spelling for words. */
export function tokenName(token: SqlToken): string {
  return token.kind === 'word' ? token.text : token.value;
}
