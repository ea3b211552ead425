import { type SqlToken, isKeyword, tokenizeSql } from '../sql/sql-tokenizer.js';

const NO_SPACE_BEFORE = new Set([',', ')', ';', '.']);
const NO_SPACE_AFTER = new Set(['(', '.']);

/**
 * One `sqlite_schema` statement laid out in a stable, runnable form: comments dropped, one space
 * between tokens (none inside `(...)` edges, before `,`/`;` or around `.`), every token spelled as
 * written. A table's definitions go one per line, a trigger's body statements one per line.
 *
 * @example
 * layoutSql('create table t(a int,  -- id\n b text)'); // 'create table t (\n  a int,\n  b text\n)'
 */
export function layoutSql(sql: string): string {
  const tokens = tokenizeSql(sql);
  if (isKeyword(tokens[0], 'CREATE') && isKeyword(tokens[1], 'TABLE')) return layoutTable(tokens);
  if (isKeyword(tokens[0], 'CREATE') && tokens.some((t) => isKeyword(t, 'TRIGGER'))) return layoutTrigger(tokens);
  return joinTokens(tokens);
}

/** Tokens joined with the spacing rules of {@link layoutSql}, on one line. */
export function joinTokens(tokens: readonly SqlToken[]): string {
  let out = '';
  for (const [i, token] of tokens.entries()) {
    const previous = tokens[i - 1];
    if (previous && !NO_SPACE_BEFORE.has(punct(token)) && !NO_SPACE_AFTER.has(punct(previous))) out += ' ';
    out += token.text;
  }
  return out;
}

function layoutTable(tokens: SqlToken[]): string {
  const open = tokens.findIndex((t) => punct(t) === '(');
  if (open < 0 || tokens.slice(0, open).some((t) => isKeyword(t, 'AS'))) return joinTokens(tokens);
  const parts: SqlToken[][] = [[]];
  let depth = 0;
  let close = -1;
  for (let i = open + 1; i < tokens.length && close < 0; i++) {
    const token = tokens[i]!;
    const p = punct(token);
    if (p === '(') depth++;
    if (p === ')' && depth-- === 0) close = i;
    else if (p === ',' && depth === 0) parts.push([]);
    else parts.at(-1)!.push(token);
  }
  if (close < 0) return joinTokens(tokens);
  const tail = joinTokens(tokens.slice(close + 1));
  return `${joinTokens(tokens.slice(0, open))} (\n${parts.map((part) => `  ${joinTokens(part)}`).join(',\n')}\n)${tail ? ` ${tail}` : ''}`;
}

function layoutTrigger(tokens: SqlToken[]): string {
  const begin = tokens.findIndex((t) => isKeyword(t, 'BEGIN'));
  const end = tokens.length - 1;
  if (begin < 0 || !isKeyword(tokens[end], 'END')) return joinTokens(tokens);
  const statements: SqlToken[][] = [];
  let current: SqlToken[] = [];
  for (const token of tokens.slice(begin + 1, end)) {
    current.push(token);
    if (punct(token) === ';') {
      statements.push(current);
      current = [];
    }
  }
  if (current.length > 0) statements.push(current);
  return `${joinTokens(tokens.slice(0, begin + 1))}\n${statements.map((s) => `  ${joinTokens(s)}`).join('\n')}\nEND`;
}

function punct(token: SqlToken): string {
  return token.kind === 'punct' ? token.value : '';
}
