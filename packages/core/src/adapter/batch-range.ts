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
 * Restricts a statement to one batch of its source: every top-level `FROM <source>` becomes
 * `FROM (SELECT * FROM <source> WHERE <key> > @batchStart AND <key> <= @batchEnd) AS <source>`
 * (an alias is kept). Returns null when the statement reads no top-level `FROM <source>`, so it
 * cannot be batched that way.
 *
 * @example
 * restrictToBatch('INSERT INTO b SELECT * FROM a', 'a', 'id');
 * // 'INSERT INTO b SELECT * FROM (SELECT * FROM "a" WHERE "id" > @batchStart AND "id" <= @batchEnd) AS "a"'
 */
export function restrictToBatch(statement: string, source: string, key: string): string | null {
  const tokens = tokenizeSql(statement);
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
