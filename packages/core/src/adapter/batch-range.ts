import { quoteIdentifier } from './quote.js';
import { type SqlToken, tokenizeSql } from './sql-tokens.js';

/**
 * The start of a batch's key range (exclusive): a statement may restrict itself to one batch with `key > @batchStart AND key <= @batchEnd`.
 *
 * @example
 * db.prepare('UPDATE t SET x = 1 WHERE id > @batchStart AND id <= @batchEnd').run({ [BATCH_START_PARAM]: 0, [BATCH_END_PARAM]: 100 });
 */
export const BATCH_START_PARAM = 'batchStart';
/**
 * The end of a batch's key range (inclusive); see {@link BATCH_START_PARAM}.
 *
 * @example
 * usesBatchParams(`DELETE FROM t WHERE id <= @${BATCH_END_PARAM}`); // true
 */
export const BATCH_END_PARAM = 'batchEnd';

/** Words that end a table reference (so what follows the table name is not an alias). */
const CLAUSE_WORDS = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'LIMIT',
  'JOIN',
  'LEFT',
  'RIGHT',
  'FULL',
  'INNER',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'HAVING',
  'WINDOW',
  'RETURNING',
  'INDEXED',
  'NOT',
  'SET',
  'VALUES',
]);

/**
 * True when the statement already uses `@batchStart` / `@batchEnd`.
 *
 * @example
 * usesBatchParams('UPDATE t SET x = 1 WHERE id > @batchStart AND id <= @batchEnd'); // true
 */
export function usesBatchParams(statement: string): boolean {
  return tokenizeSql(statement).some((t) => t.kind === 'parameter' && (t.value === BATCH_START_PARAM || t.value === BATCH_END_PARAM));
}

/**
 * Aggregate functions of SQLite and PostgreSQL: at the top level of a statement, each makes one
 * row of many, so the statement's result over the whole source is not the sum of its results
 * over key ranges. `min` and `max` are aggregates with one argument only.
 */
const AGGREGATES = new Set([
  'AVG',
  'COUNT',
  'SUM',
  'TOTAL',
  'MIN',
  'MAX',
  'GROUP_CONCAT',
  'STRING_AGG',
  'ARRAY_AGG',
  'JSON_AGG',
  'JSONB_AGG',
  'JSON_OBJECT_AGG',
  'JSONB_OBJECT_AGG',
  'JSON_GROUP_ARRAY',
  'JSON_GROUP_OBJECT',
  'JSONB_GROUP_ARRAY',
  'JSONB_GROUP_OBJECT',
  'BOOL_AND',
  'BOOL_OR',
  'EVERY',
  'BIT_AND',
  'BIT_OR',
  'BIT_XOR',
  'STDDEV',
  'STDDEV_POP',
  'STDDEV_SAMP',
  'VARIANCE',
  'VAR_POP',
  'VAR_SAMP',
  'MEDIAN',
  'MODE',
  'PERCENTILE_CONT',
  'PERCENTILE_DISC',
  'XMLAGG',
]);

/** Top-level words after which a statement's rows depend on rows of other batches: grouping, de-duplication, windows, limits, compounds. */
const SET_WIDE_WORDS = new Set(['GROUP', 'HAVING', 'DISTINCT', 'WINDOW', 'OVER', 'LIMIT', 'OFFSET', 'FETCH', 'UNION', 'EXCEPT', 'INTERSECT']);

/**
 * Why a statement cannot be split into key ranges of its source, or null when it can: what it
 * does at its top level must be one row at a time, so that running it on each range in turn does
 * what running it once on the whole source does. An aggregate, `GROUP BY`, `DISTINCT`, a window,
 * `LIMIT` or a compound `SELECT` at the top level each make the result depend on rows of other
 * ranges (a count per category would be a count per category per batch). What sits inside
 * parentheses is a subquery, which reads its tables whole, or an argument list.
 *
 * @example
 * notRowWise(tokenizeSql('INSERT INTO t SELECT category, count(*) FROM kb_entries GROUP BY category')); // 'count(...)'
 */
export function notRowWise(tokens: readonly SqlToken[]): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.depth !== 0 || t.kind !== 'word') continue;
    // `a IS [NOT] DISTINCT FROM b` compares two values of one row
    if (t.value === 'DISTINCT' && (tokens[i - 1]?.value === 'IS' || (tokens[i - 1]?.value === 'NOT' && tokens[i - 2]?.value === 'IS'))) continue;
    if (SET_WIDE_WORDS.has(t.value)) return t.value;
    if (AGGREGATES.has(t.value) && tokens[i + 1]?.kind === 'punct' && tokens[i + 1]!.text === '(') {
      if ((t.value === 'MIN' || t.value === 'MAX') && hasSecondArgument(tokens, i + 1)) continue;
      return `${t.text}(...)`;
    }
  }
  return null;
}

/** True when the argument list opened at `open` has a comma of its own (`max(a, b)` is a scalar function). */
function hasSecondArgument(tokens: readonly SqlToken[], open: number): boolean {
  const depth = tokens[open]!.depth + 1;
  for (let i = open + 1; i < tokens.length && tokens[i]!.depth >= depth; i++) {
    if (tokens[i]!.depth === depth && tokens[i]!.kind === 'punct' && tokens[i]!.text === ',') return true;
  }
  return false;
}

/**
 * Restricts a statement to one batch of its source: every top-level `FROM <source>` becomes
 * `FROM (SELECT * FROM <source> WHERE <key> > @batchStart AND <key> <= @batchEnd) AS <source>`
 * (an alias is kept). Returns null when the statement reads no top-level `FROM <source>`, or
 * when what it does at its top level is not one row at a time (see {@link notRowWise}): either
 * way it cannot be batched so, and runs whole.
 *
 * @example
 * restrictToBatch('INSERT INTO b SELECT * FROM a', 'a', 'id');
 * // 'INSERT INTO b SELECT * FROM (SELECT * FROM "a" WHERE "id" > @batchStart AND "id" <= @batchEnd) AS "a"'
 */
export function restrictToBatch(statement: string, source: string, key: string): string | null {
  const tokens = tokenizeSql(statement);
  if (notRowWise(tokens) !== null) return null;
  const edits: { start: number; end: number; text: string }[] = [];
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i]!;
    if (t.depth !== 0 || t.kind !== 'word' || t.value !== 'FROM' || tokens[i - 1]?.value === 'DELETE') continue;
    let nameIndex = i + 1;
    // schema-qualified: main.kb_entries
    if (tokens[i + 2]?.text === '.' && namesTable(tokens[i + 3], source) && namesTable(tokens[i + 1], 'main')) nameIndex = i + 3;
    const nameToken = tokens[nameIndex];
    if (!namesTable(nameToken, source) || tokens[nameIndex + 1]?.text === '(' || tokens[nameIndex + 1]?.text === '.') continue;
    const next = tokens[nameIndex + 1];
    const hasAlias =
      next !== undefined &&
      next.depth === 0 &&
      (next.kind === 'identifier' || (next.kind === 'word' && (next.value === 'AS' || !CLAUSE_WORDS.has(next.value))));
    const subquery = `(SELECT * FROM ${quoteIdentifier(source)} WHERE ${quoteIdentifier(key)} > @${BATCH_START_PARAM} AND ${quoteIdentifier(key)} <= @${BATCH_END_PARAM})`;
    edits.push({ start: tokens[i + 1]!.start, end: nameToken!.end, text: hasAlias ? subquery : `${subquery} AS ${quoteIdentifier(source)}` });
  }
  if (edits.length === 0) return null;
  let out = statement;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** True when a token names `table` (bare or quoted, case-insensitive as SQLite compares names). */
function namesTable(token: SqlToken | undefined, table: string): boolean {
  if (token?.kind !== 'word' && token?.kind !== 'identifier') return false;
  return token.kind === 'word' ? token.value === table.toUpperCase() : token.value.toLowerCase() === table.toLowerCase();
}
