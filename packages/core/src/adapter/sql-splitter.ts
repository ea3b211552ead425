import { skipSqlComment, sqlQuoteClose } from './sql-scan.js';
import { SqlLexer } from './sql-lexer.js';

/** White space only, by JavaScript's wider definition (a lone BOM or no-break space is no statement). */
const BLANK = /^\s*$/;

/**
 * Splits a SQLite script into single statements, the way the SQLite shell does: semicolons
 * inside string literals, quoted identifiers, comments and trigger bodies (BEGIN ... END,
 * with CASE ... END inside) do not end a statement. Empty statements are dropped. It reads the
 * script with the lexer behind `tokenizeSql`, so it agrees with every decision made on tokens.
 *
 * @example
 * splitSqlStatements("CREATE TABLE a(x); INSERT INTO a VALUES ('a;b');");
 * // ['CREATE TABLE a(x);', "INSERT INTO a VALUES ('a;b');"]
 */
export function splitSqlStatements(script: string): string[] {
  const hit = splitCache.get(script);
  if (hit) return [...hit];
  const statements = split(script);
  if (script.length <= SPLIT_CACHE_MAX_SCRIPT) {
    if (splitCache.size >= SPLIT_CACHE_LIMIT) splitCache.clear();
    splitCache.set(script, [...statements]);
  }
  return statements;
}

// A run splits the same sections again and again (load, plan, rehearsal, the run itself, the
// safety checks): each script is lexed once per process. Very large scripts are not kept.
const SPLIT_CACHE_LIMIT = 2_000;
const SPLIT_CACHE_MAX_SCRIPT = 1 << 20;
const splitCache = new Map<string, readonly string[]>();

function split(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let code = false;
  let depth = 0;
  let words = 0;
  let create = false;
  let inTrigger = false;

  const flush = (end: number): void => {
    if (code) statements.push(script.slice(start, end).trim());
    start = end;
    code = false;
    depth = 0;
    words = 0;
    create = false;
    inTrigger = false;
  };

  const lexer = new SqlLexer(script);
  while (lexer.next()) {
    const { kind, start: from, end: to } = lexer;
    if (kind === 'punct' && script.charCodeAt(from) === 0x3b) {
      if (depth === 0) flush(to);
      continue;
    }
    if (!code && !BLANK.test(script.slice(from, to))) code = true;
    // only a statement's first words and a trigger's body matter
    if (kind !== 'word' || (words >= 4 && !inTrigger)) continue;
    const word = script.slice(from, to).toUpperCase();
    if (words < 4) {
      if (words === 0) create = word === 'CREATE';
      else if (create && word === 'TRIGGER') inTrigger = true;
      words++;
    }
    if (inTrigger) {
      if (word === 'BEGIN' || word === 'CASE') depth++;
      else if (word === 'END' && depth > 0) depth--;
    }
  }
  flush(script.length);
  return statements;
}

/** True when the text holds something other than whitespace, comments and semicolons. */
export function hasCode(text: string): boolean {
  return stripSqlComments(text).replace(/[;\s]/g, '').length > 0;
}

/** Removes `--` and block comments, keeping string literals and quoted identifiers intact. */
export function stripSqlComments(text: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x27 || c === 0x22 || c === 0x60) {
      const close = sqlQuoteClose(text, i);
      i = close === -1 ? n : close + 1;
    } else if (c === 0x5b) {
      const close = text.indexOf(']', i + 1);
      i = close === -1 ? n : close + 1;
    } else {
      const end = skipSqlComment(text, i);
      if (end === i) {
        i++;
        continue;
      }
      // a line comment keeps its newline, a block comment becomes one space
      out += text.slice(from, i) + (c === 0x2d ? (text[end - 1] === '\n' ? '\n' : '') : ' ');
      from = i = end;
    }
  }
  return out + text.slice(from);
}
