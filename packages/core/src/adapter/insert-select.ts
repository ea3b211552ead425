import { isSqlKeyword, tokenizeSql } from './sql-tokens.js';

/** An `INSERT ... SELECT` statement cut where its query starts and ends. */
export interface InsertSelectParts {
  /** `INSERT [OR ...] INTO table [(columns)]`, as written. */
  insert: string;
  /** The query that produces the rows, as written. */
  select: string;
  /** An upsert clause after the query (`ON CONFLICT ...`), or `''`. */
  upsert: string;
}

/**
 * Cuts an `INSERT ... SELECT` into its insert, its query and its upsert clause, so that the
 * query can run on its own and its rows be inserted later. Returns null for any other statement,
 * and for forms that cannot be cut so: a leading `WITH`, `VALUES`, `DEFAULT VALUES`,
 * `RETURNING`, or more than one statement.
 *
 * @example
 * splitInsertSelect('INSERT INTO t (a) SELECT x FROM s WHERE true ON CONFLICT DO NOTHING');
 * // { insert: 'INSERT INTO t (a) ', select: 'SELECT x FROM s WHERE true ', upsert: 'ON CONFLICT DO NOTHING' }
 */
export function splitInsertSelect(sql: string): InsertSelectParts | null {
  const tokens = tokenizeSql(sql);
  while (tokens.at(-1)?.text === ';') tokens.pop();
  if (!isSqlKeyword(tokens[0], 'INSERT', 'REPLACE')) return null;
  if (tokens.some((t) => t.text === ';' || (t.depth === 0 && isSqlKeyword(t, 'RETURNING', 'VALUES', 'DEFAULT')))) return null;
  const selectAt = tokens.findIndex((t) => t.depth === 0 && isSqlKeyword(t, 'SELECT', 'WITH'));
  if (
    selectAt < 2 ||
    !isSqlKeyword(
      tokens.slice(0, selectAt).find((t) => isSqlKeyword(t, 'INTO')),
      'INTO',
    )
  )
    return null;
  const upsertAt = tokens.findIndex((t, i) => i > selectAt && t.depth === 0 && isSqlKeyword(t, 'ON') && isSqlKeyword(tokens[i + 1], 'CONFLICT'));
  const end = tokens.at(-1)!.end;
  const selectStart = tokens[selectAt]!.start;
  const selectEnd = upsertAt < 0 ? end : tokens[upsertAt]!.start;
  return {
    insert: sql.slice(0, selectStart),
    select: sql.slice(selectStart, selectEnd),
    upsert: upsertAt < 0 ? '' : sql.slice(tokens[upsertAt]!.start, end),
  };
}

/**
 * How a query can read a consistent state without stopping the application's commits, by
 * journal mode: in WAL, one read transaction (`snapshot`: a reader never blocks a writer); with a
 * rollback journal (`delete`, `truncate`, `persist`), where every reader stops commits, only over
 * TEMP copies taken in short reads (`copies`); otherwise (`memory`, `off`) not at all.
 *
 * @example
 * stagedReadOf('wal'); // 'snapshot'
 */
export function stagedReadOf(journalMode: string): 'snapshot' | 'copies' | null {
  const mode = journalMode.toLowerCase();
  if (mode === 'wal') return 'snapshot';
  return mode === 'delete' || mode === 'truncate' || mode === 'persist' ? 'copies' : null;
}
