import { type SqlToken, tokenizeSql } from './sql-tokenizer.js';

const SIMPLE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The canonical spelling of one token: keywords and identifiers lower-cased and unquoted, operators unified.
 *
 * @example
 * canonicalToken(tokenizeSql('"Title"')[0]!); // 'title'
 */
export function canonicalToken(token: SqlToken): string {
  switch (token.kind) {
    case 'word':
      return token.value.toLowerCase();
    case 'identifier':
      return SIMPLE_IDENTIFIER.test(token.value) ? token.value.toLowerCase() : `"${token.value.toLowerCase().replace(/"/g, '""')}"`;
    case 'blob':
      return `x'${token.value.slice(2, -1).toUpperCase()}'`;
    case 'number':
      return token.value.toLowerCase();
    case 'punct':
      return token.value === '==' ? '=' : token.value === '<>' ? '!=' : token.value;
    default:
      return token.value;
  }
}

/**
 * Canonical text of a run of tokens: one space between tokens, so that whitespace, comments,
 * keyword case and identifier quoting do not matter. Not meant to be run, only compared.
 *
 * @example
 * canonicalTokens(tokenizeSql('length( "Title" )  >0')); // 'length ( title ) > 0'
 */
export function canonicalTokens(tokens: readonly SqlToken[]): string {
  return tokens.map(canonicalToken).join(' ');
}

/**
 * Canonical text of an SQL fragment (an expression, a view body, a trigger).
 *
 * @example
 * canonicalSql('SELECT  a FROM [t] /* x *\/ WHERE b<>1') === canonicalSql('select a from t where b != 1'); // true
 */
export function canonicalSql(sql: string): string {
  return canonicalTokens(tokenizeSql(sql));
}

/** Strips parentheses that wrap a whole fragment: `((0))` becomes `0`. */
export function unwrapParentheses(tokens: readonly SqlToken[]): readonly SqlToken[] {
  let current = tokens;
  while (current.length >= 2 && current[0]!.value === '(' && current.at(-1)!.value === ')' && closingIndex(current, 0) === current.length - 1) {
    current = current.slice(1, -1);
  }
  return current;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
export function closingIndex(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.value === '(') depth++;
    else if (t.value === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits tokens at commas that are not inside parentheses. */
export function splitTopLevel(tokens: readonly SqlToken[]): SqlToken[][] {
  const parts: SqlToken[][] = [];
  let current: SqlToken[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.value === '(') depth++;
    if (t.kind === 'punct' && t.value === ')') depth--;
    if (depth === 0 && t.kind === 'punct' && t.value === ',') {
      parts.push(current);
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.length > 0) parts.push(current);
  return parts;
}
