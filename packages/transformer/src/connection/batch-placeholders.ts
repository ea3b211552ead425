import { BATCH_END_PARAM, BATCH_START_PARAM } from '@mfmig/core';

/** A statement with `@batchStart` / `@batchEnd` turned into `$n` parameters. */
export interface BatchBoundStatement {
  /** The statement with each placeholder replaced by its `$n`. */
  sql: string;
  /** Which range end each `$n` stands for, in order (`$1` first); empty when the statement has no placeholder. */
  params: ('batchStart' | 'batchEnd')[];
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]+/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const PLACEHOLDER = new RegExp(`@(${BATCH_START_PARAM}|${BATCH_END_PARAM})(?![A-Za-z0-9_$\\u0080-\\uffff])`, 'y');

/**
 * Replaces `@batchStart` / `@batchEnd` in one PostgreSQL statement by `$n` parameters (a
 * placeholder used twice is one parameter), leaving string constants (`'...'`, `E'...'`,
 * `$tag$...$tag$`), quoted names and comments alone. Parameters are numbered in order of first
 * use, so a statement that uses only `@batchEnd` binds it as `$1`.
 *
 * @example
 * bindBatchPlaceholders("UPDATE t SET note = '@batchStart' WHERE id > @batchStart AND id <= @batchEnd");
 * // { sql: "UPDATE t SET note = '@batchStart' WHERE id > $1 AND id <= $2", params: ['batchStart', 'batchEnd'] }
 */
export function bindBatchPlaceholders(statement: string): BatchBoundStatement {
  const params: BatchBoundStatement['params'] = [];
  let out = '';
  let copied = 0;
  for (let i = 0; i < statement.length;) {
    const skipped = skipNonCode(statement, i);
    if (skipped > i) {
      i = skipped;
      continue;
    }
    PLACEHOLDER.lastIndex = i;
    const match = PLACEHOLDER.exec(statement);
    if (match) {
      const name = match[1] as BatchBoundStatement['params'][number];
      if (!params.includes(name)) params.push(name);
      out += `${statement.slice(copied, i)}$${params.indexOf(name) + 1}`;
      i += match[0].length;
      copied = i;
      continue;
    }
    i++;
  }
  return { sql: out + statement.slice(copied), params };
}

/** The end of a word, constant, quoted name or comment starting at `i`; `i` when none starts there. */
function skipNonCode(sql: string, i: number): number {
  const two = sql.slice(i, i + 2);
  if (two === '--') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end;
  }
  if (two === '/*') return blockCommentEnd(sql, i);
  if (sql[i] === "'") return quotedEnd(sql, i, "'", false);
  if (sql[i] === '"') return quotedEnd(sql, i, '"', false);
  if (sql[i] === '$') {
    DOLLAR_TAG.lastIndex = i;
    if (DOLLAR_TAG.test(sql)) {
      const tag = sql.slice(i, DOLLAR_TAG.lastIndex);
      const close = sql.indexOf(tag, DOLLAR_TAG.lastIndex);
      return close < 0 ? sql.length : close + tag.length;
    }
  }
  WORD.lastIndex = i;
  if (WORD.test(sql)) {
    const end = WORD.lastIndex;
    // E'...' takes backslash escapes; U&'...', B'...', X'...' are read as plain constants next
    if (sql[end] === "'" && end - i === 1 && (sql[i] === 'E' || sql[i] === 'e')) return quotedEnd(sql, end, "'", true);
    return end;
  }
  return i;
}

/** The end of a quoted constant or name starting at `i` (doubled quotes stay inside; unterminated runs to the end). */
function quotedEnd(sql: string, i: number, quote: string, backslashes: boolean): number {
  for (let j = i + 1; j < sql.length; j++) {
    if (backslashes && sql[j] === '\\') j++;
    else if (sql[j] === quote) {
      if (sql[j + 1] !== quote) return j + 1;
      j++;
    }
  }
  return sql.length;
}

/** The end of a (nested) block comment starting at `i`. */
function blockCommentEnd(sql: string, i: number): number {
  let depth = 0;
  for (let j = i; j < sql.length - 1; j++) {
    const two = sql.slice(j, j + 2);
    if (two === '/*') {
      depth++;
      j++;
    } else if (two === '*/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return sql.length;
}
