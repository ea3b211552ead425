import { isSqlDigit, isSqlHexDigit, isSqlIdPart, isSqlIdStart, skipSqlGap, sqlQuoteClose } from './sql-scan.js';
import type { SqlTokenKind } from './sql-tokens.js';

/**
 * Steps through SQLite SQL one token at a time without building token objects, reading
 * quotes, comments, numbers and parameters as SQLite does (tokenize.c). {@link tokenizeSql}
 * and the statement splitter both read SQL through it, so they cannot disagree.
 *
 * @example
 * const lexer = new SqlLexer('SELECT 1;');
 * while (lexer.next()) console.log(lexer.kind, lexer.start, lexer.end); // word 0 6, number 7 8, punct 8 9
 */
export class SqlLexer {
  readonly #sql: string;
  #next: number;
  #start = 0;
  #end = 0;
  #kind: SqlTokenKind = 'punct';
  #depth = 0;
  #opens = false;
  #closed = true;

  constructor(sql: string) {
    this.#sql = sql;
    this.#next = skipSqlGap(sql, 0);
  }

  /** The current token's kind. */
  get kind(): SqlTokenKind {
    return this.#kind;
  }

  /** Offset of the current token. */
  get start(): number {
    return this.#start;
  }

  /** Offset just past the current token. */
  get end(): number {
    return this.#end;
  }

  /** Parentheses open around the current token (`(` and `)` count as outside their pair). */
  get depth(): number {
    return this.#depth;
  }

  /** False when the current quoted token (string, name, blob) runs to the end of the text unclosed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Moves to the next token; false when there is none left. */
  next(): boolean {
    const sql = this.#sql;
    const n = sql.length;
    const i = this.#next;
    if (i >= n) return false;
    if (this.#opens) this.#depth++;
    this.#opens = false;
    this.#closed = true;
    const c = sql.charCodeAt(i);
    let end = i + 1;
    let kind: SqlTokenKind = 'punct';
    if (isSqlIdStart(c)) {
      if ((c === 0x78 || c === 0x58) && sql.charCodeAt(i + 1) === 0x27) {
        // x'0A': ends at the next quote, no escapes
        end = this.#closeAt(sql.indexOf("'", i + 2), n);
        kind = 'blob';
      } else {
        while (end < n && isSqlIdPart(sql.charCodeAt(end))) end++;
        kind = 'word';
      }
    } else if (c === 0x27 || c === 0x22 || c === 0x60) {
      end = this.#closeAt(sqlQuoteClose(sql, i), n);
      kind = c === 0x27 ? 'string' : 'identifier';
    } else if (c === 0x5b) {
      end = this.#closeAt(sql.indexOf(']', i + 1), n);
      kind = 'identifier';
    } else if (isSqlDigit(c) || (c === 0x2e && isSqlDigit(sql.charCodeAt(i + 1)))) {
      end = numberEnd(sql, i);
      kind = 'number';
    } else if (c === 0x3f) {
      while (isSqlDigit(sql.charCodeAt(end))) end++;
      kind = 'parameter';
    } else if ((c === 0x3a || c === 0x40 || c === 0x24 || c === 0x23) && isSqlIdPart(sql.charCodeAt(i + 1))) {
      end = i + 2;
      while (end < n && isSqlIdPart(sql.charCodeAt(end))) end++;
      kind = 'parameter';
    } else {
      end = i + operatorLength(sql, i, c);
      if (c === 0x28) this.#opens = true;
      else if (c === 0x29 && this.#depth > 0) this.#depth--;
    }
    this.#start = i;
    this.#end = end;
    this.#kind = kind;
    this.#next = skipSqlGap(sql, end);
    return true;
  }

  /** The end of a quoted token whose closing character is at `close` (-1: never closed). */
  #closeAt(close: number, n: number): number {
    if (close !== -1) return close + 1;
    this.#closed = false;
    return n;
  }
}

/** Where the number starting at `i` ends, as SQLite reads it (trailing identifier characters included, which SQLite rejects). */
function numberEnd(sql: string, i: number): number {
  let j = i;
  if (sql.charCodeAt(j) === 0x30 && (sql.charCodeAt(j + 1) | 0x20) === 0x78 && isSqlHexDigit(sql.charCodeAt(j + 2))) {
    j += 3;
    while (isSqlHexDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 0x5f) j++;
  } else {
    j = digitsEnd(sql, j);
    if (sql.charCodeAt(j) === 0x2e) j = digitsEnd(sql, j + 1);
    const e = sql.charCodeAt(j) | 0x20;
    const sign = sql.charCodeAt(j + 1);
    if (e === 0x65 && (isSqlDigit(sign) || ((sign === 0x2b || sign === 0x2d) && isSqlDigit(sql.charCodeAt(j + 2))))) j = digitsEnd(sql, j + 2);
  }
  while (j < sql.length && isSqlIdPart(sql.charCodeAt(j))) j++;
  return j;
}

/** Past a run of digits and `_` digit separators. */
function digitsEnd(sql: string, j: number): number {
  while (isSqlDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 0x5f) j++;
  return j;
}

/** The length of the operator starting at `i`: `||`, `<=`, `>=`, `==`, `!=`, `<>`, `<<`, `>>`, `->`, `->>`, else 1. */
function operatorLength(sql: string, i: number, c: number): number {
  const next = sql.charCodeAt(i + 1);
  switch (c) {
    case 0x7c: // |
      return next === 0x7c ? 2 : 1;
    case 0x3c: // <
      return next === 0x3d || next === 0x3e || next === 0x3c ? 2 : 1;
    case 0x3e: // >
      return next === 0x3d || next === 0x3e ? 2 : 1;
    case 0x3d: // =
    case 0x21: // !
      return next === 0x3d ? 2 : 1;
    case 0x2d: // -
      return next === 0x3e ? (sql.charCodeAt(i + 2) === 0x3e ? 3 : 2) : 1;
    default:
      return 1;
  }
}
