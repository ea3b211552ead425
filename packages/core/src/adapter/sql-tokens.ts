import { SqlLexer } from './sql-lexer.js';

/** The kinds of token SQLite's tokenizer tells apart. Comments and white space are not tokens. */
export type SqlTokenKind = 'word' | 'identifier' | 'string' | 'number' | 'blob' | 'parameter' | 'punct';

/** One token of SQLite SQL. */
export interface SqlToken {
  /**
   * `word`: a keyword or bare identifier; `identifier`: a quoted name (`"x"`, `` `x` ``, `[x]`);
   * `string`: a `'literal'`; `number`: `12`, `1.5e3`, `0x1F`, `1_000`; `blob`: `x'0A'`;
   * `parameter`: `?`, `?3`, `:name`, `@name`, `$name`, `#name`; `punct`: an operator or other
   * character (`(`, `,`, `||`, `<=`, `->>`, ...).
   */
  kind: SqlTokenKind;
  /**
   * Upper-cased for words, the unquoted name for identifiers, the unquoted text for strings,
   * the name without its sigil for parameters (`batchStart` for `@batchStart`, `3` for `?3`),
   * the text otherwise.
   */
  value: string;
  /** The token as written: `text === sql.slice(start, end)`. */
  text: string;
  /** Offset of the token in the text. */
  start: number;
  /** Offset just past the token. */
  end: number;
  /** How many parentheses are open around the token; `(` and `)` count as outside their pair. */
  depth: number;
}

/**
 * Tokenizes SQLite SQL the way SQLite reads it: `'strings'`, `"names"` and `` `names` `` with
 * doubled quotes, `[names]`, `x'blobs'`, numbers, parameters, `--` and block comments skipped;
 * an unclosed quote or comment runs to the end. It never throws: a character SQLite would
 * reject becomes a one-character `punct` token.
 *
 * @example
 * tokenizeSql('DELETE FROM [my table] -- gone').map((t) => t.value); // ['DELETE', 'FROM', 'my table']
 * tokenizeSql('SELECT (a) FROM t').map((t) => t.depth); // [0, 0, 1, 0, 0, 0]
 */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const read = sqlTokenReader(sql);
  for (let token = read(); token; token = read()) tokens.push(token);
  return tokens;
}

/**
 * The tokens of `sql` one at a time, as {@link tokenizeSql} gives them: for a reader that needs
 * only the head of a statement, the rest is never read.
 *
 * @example
 * const read = sqlTokenReader('DROP TABLE t');
 * read()?.value; // 'DROP'
 */
export function sqlTokenReader(sql: string): () => SqlToken | undefined {
  const lexer = new SqlLexer(sql);
  return () => {
    if (!lexer.next()) return undefined;
    const { kind, start, end, depth } = lexer;
    const text = sql.slice(start, end);
    let value = text;
    if (kind === 'word') value = text.toUpperCase();
    else if (kind === 'parameter') value = text.slice(1);
    else if (kind === 'string' || kind === 'identifier') value = unquote(text, lexer.closed);
    return { kind, value, text, start, end, depth };
  };
}

/** The name or text inside quotes: doubled quotes undone, except in `[names]`, which have none. */
function unquote(text: string, closed: boolean): string {
  const quote = text[0]!;
  const body = text.slice(1, closed ? -1 : text.length);
  if (quote === '[') return body;
  const doubled = quote + quote;
  return body.includes(doubled) ? body.replaceAll(doubled, quote) : body;
}

/**
 * The name a token stands for where SQLite expects a name: the unquoted name of an identifier,
 * the original spelling of a word, and the text of a string (SQLite accepts `'name'` there).
 *
 * @example
 * tokenName(tokenizeSql('"Order Items"')[0]!); // 'Order Items'
 * tokenName(tokenizeSql('Orders')[0]!); // 'Orders'
 */
export function tokenName(token: SqlToken): string {
  return token.kind === 'word' ? token.text : token.value;
}

/**
 * True when the token is a bare word equal to one of `keywords` (upper case); quoted names
 * never are keywords.
 *
 * @example
 * isSqlKeyword(tokenizeSql('drop')[0], 'DROP', 'DELETE'); // true
 * isSqlKeyword(tokenizeSql('"drop"')[0], 'DROP'); // false
 */
export function isSqlKeyword(token: SqlToken | undefined, ...keywords: string[]): boolean {
  return token?.kind === 'word' && keywords.includes(token.value);
}

/**
 * Splits a run of tokens at the commas of its outermost level (a column list, a select list, the
 * body of a `CREATE TABLE`): commas inside parentheses nested deeper stay in their item. The
 * tokens' depth counts from the start of their statement, so the outermost level is the least
 * depth among them.
 *
 * @example
 * splitSqlList(tokenizeSql('a, f(b, c), d')).map((item) => item.map((t) => t.text).join('')); // ['a', 'f(b,c)', 'd']
 */
export function splitSqlList(tokens: readonly SqlToken[]): SqlToken[][] {
  if (tokens.length === 0) return [];
  const depth = Math.min(...tokens.map((t) => t.depth));
  const items: SqlToken[][] = [[]];
  for (const t of tokens) {
    if (t.text === ',' && t.depth === depth) items.push([]);
    else items.at(-1)!.push(t);
  }
  return items;
}
