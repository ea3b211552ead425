/**
 * Splits a SQLite script into single statements, the way the SQLite shell does: semicolons
 * inside string literals, quoted identifiers, comments and trigger bodies (BEGIN ... END,
 * with CASE ... END inside) do not end a statement. Empty statements are dropped.
 *
 * @example
 * splitSqlStatements("CREATE TABLE a(x); INSERT INTO a VALUES ('a;b');");
 * // ['CREATE TABLE a(x);', "INSERT INTO a VALUES ('a;b');"]
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  let depth = 0;
  let words: string[] = [];
  let inTrigger = false;
  const n = script.length;

  const flush = (end: number): void => {
    const text = script.slice(start, end).trim();
    if (hasCode(text)) statements.push(text);
    start = end;
    depth = 0;
    words = [];
    inTrigger = false;
  };

  while (i < n) {
    const c = script[i]!;
    if (c === '-' && script[i + 1] === '-') {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && script[i + 1] === '*') {
      const close = script.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipSqlQuoted(script, i, c);
    } else if (c === '[') {
      const close = script.indexOf(']', i + 1);
      i = close === -1 ? n : close + 1;
    } else if (c === ';') {
      i++;
      if (depth === 0) flush(i);
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(script[j]!)) j++;
      const word = script.slice(i, j).toUpperCase();
      if (words.length < 4) {
        words.push(word);
        if (word === 'TRIGGER' && words[0] === 'CREATE') inTrigger = true;
      }
      if (inTrigger) {
        if (word === 'BEGIN' || word === 'CASE') depth++;
        else if (word === 'END' && depth > 0) depth--;
      }
      i = j;
    } else {
      i++;
    }
  }
  flush(n);
  return statements;
}

/**
 * The index just past the quoted text that starts at `i` (a `'string'`, `"identifier"` or
 * `` `identifier` ``), where a doubled quote is an escaped one; the end of `s` when unclosed.
 *
 * @example
 * skipSqlQuoted("'it''s' AND x", 0, "'"); // 7
 */
export function skipSqlQuoted(s: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < s.length) {
    if (s[j] === quote) {
      if (s[j + 1] === quote) j += 2;
      else return j + 1;
    } else j++;
  }
  return s.length;
}

function isWordStart(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_';
}

function isWordPart(c: string): boolean {
  return isWordStart(c) || (c >= '0' && c <= '9') || c === '$';
}

/** True when the text holds something other than whitespace, comments and semicolons. */
export function hasCode(text: string): boolean {
  return stripSqlComments(text).replace(/[;\s]/g, '').length > 0;
}

/** Removes `--` and block comments, keeping string literals and quoted identifiers intact. */
export function stripSqlComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      const end = skipSqlQuoted(text, i, c);
      out += text.slice(i, end);
      i = end;
    } else if (c === '[') {
      const close = text.indexOf(']', i + 1);
      const end = close === -1 ? text.length : close + 1;
      out += text.slice(i, end);
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
