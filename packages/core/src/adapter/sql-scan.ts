// SQLite's character classes for ASCII, as its tokenizer (tokenize.c) reads them. Every UTF-16
// code unit from 0x80 up is an identifier character: SQLite reads UTF-8, where every byte of a
// non-ASCII character is at least 0x80, and treats all of them as identifier bytes.
const ID_START = 1;
const DIGIT = 2;
const SPACE = 4;
const HEX = 8;
const CLASSES = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) CLASSES[c]! |= ID_START;
  if (/[0-9]/.test(ch)) CLASSES[c]! |= DIGIT;
  if (/[0-9A-Fa-f]/.test(ch)) CLASSES[c]! |= HEX;
}
for (const c of [0x20, 0x09, 0x0a, 0x0c, 0x0d]) CLASSES[c]! |= SPACE;

/** The class bits of a code unit below 0x80 (0 for anything else, NaN past the end included). */
function classOf(code: number): number {
  return CLASSES[code] ?? 0;
}

/** True for a character that may start a bare SQLite identifier or keyword (letters, `_`, non-ASCII). */
export function isSqlIdStart(code: number): boolean {
  return code >= 0x80 || (classOf(code) & ID_START) !== 0;
}

/** True for a character that may continue a bare SQLite identifier (letters, digits, `_`, `$`, non-ASCII). */
export function isSqlIdPart(code: number): boolean {
  return code >= 0x80 || code === 0x24 || (classOf(code) & (ID_START | DIGIT)) !== 0;
}

/** True for an ASCII digit. */
export function isSqlDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** True for an ASCII hexadecimal digit. */
export function isSqlHexDigit(code: number): boolean {
  return (classOf(code) & HEX) !== 0;
}

/** True for what SQLite counts as white space: space, tab, newline, form feed, carriage return. */
export function isSqlSpace(code: number): boolean {
  return (classOf(code) & SPACE) !== 0;
}

/**
 * The index of the quote that closes the quoted text starting at `i` (`'`, `"` or `` ` ``, a
 * doubled quote being an escaped one), or -1 when it is never closed.
 *
 * @example
 * sqlQuoteClose("'it''s' AND x", 0); // 6
 */
export function sqlQuoteClose(s: string, i: number): number {
  const quote = s.charCodeAt(i);
  let j = i + 1;
  for (;;) {
    const close = s.indexOf(s[i]!, j);
    if (close === -1) return -1;
    if (s.charCodeAt(close + 1) !== quote) return close;
    j = close + 2;
  }
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
  for (;;) {
    const close = s.indexOf(quote, j);
    if (close === -1) return s.length;
    if (s[close + 1] !== quote) return close + 1;
    j = close + 2;
  }
}

/**
 * The index just past the comment starting at `i` (`-- ...` up to and including the newline,
 * or a block comment; either runs to the end of `s` when unclosed), or `i` when no comment
 * starts there.
 *
 * @example
 * skipSqlComment('-- note\nSELECT 1', 0); // 8
 * skipSqlComment('SELECT 1', 0); // 0
 */
export function skipSqlComment(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x2d && s.charCodeAt(i + 1) === 0x2d) {
    const nl = s.indexOf('\n', i + 2);
    return nl === -1 ? s.length : nl + 1;
  }
  if (c === 0x2f && s.charCodeAt(i + 1) === 0x2a) {
    const close = s.indexOf('*/', i + 2);
    return close === -1 ? s.length : close + 2;
  }
  return i;
}

/**
 * The index of the next token at or after `i`: white space and comments skipped, as SQLite
 * skips them.
 *
 * @example
 * skipSqlGap('  -- note\n  x', 0); // 12
 */
export function skipSqlGap(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    if (isSqlSpace(s.charCodeAt(i))) i++;
    else {
      const end = skipSqlComment(s, i);
      if (end === i) return i;
      i = end;
    }
  }
  return i;
}
