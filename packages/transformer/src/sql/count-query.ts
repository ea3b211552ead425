import { type SqlToken, tokenizeSql } from '@mfmig/core';

/**
 * A read-only query counting the rows a data statement would write, for dry runs:
 * `INSERT ... SELECT` counts its SELECT, `UPDATE` / `DELETE` count their WHERE. Returns null
 * for statements it cannot read that way (CTEs, `UPDATE ... FROM`, `INSERT ... VALUES`).
 *
 * @example
 * countQueryFor("DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'");
 * // "SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'"
 */
export function countQueryFor(statement: string): string | null {
  const sql = statement.trim().replace(/;\s*$/, '');
  const tokens = tokenizeSql(sql).filter((t) => t.depth === 0);
  const first = tokens[0];
  if (!first || first.kind !== 'word') return null;
  if (first.value === 'INSERT' || first.value === 'REPLACE') {
    const select = tokens.find((t) => t.kind === 'word' && t.value === 'SELECT');
    if (!select) return null;
    const end = clauseEnd(tokens, tokens.indexOf(select), sql.length, true);
    return `SELECT count(*) FROM (${sql.slice(select.start, end)})`;
  }
  if (first.value === 'UPDATE' || first.value === 'DELETE') {
    const set = tokens.findIndex((t) => t.kind === 'word' && (t.value === 'SET' || (first.value === 'DELETE' && t.value === 'FROM')));
    if (set < 0) return null;
    const table = tableReference(sql, tokens, first.value === 'DELETE' ? set + 1 : tableIndex(tokens));
    if (!table) return null;
    if (first.value === 'UPDATE' && tokens.some((t, i) => i > set && t.kind === 'word' && t.value === 'FROM')) return null;
    const where = tokens.findIndex((t, i) => i > set && t.kind === 'word' && t.value === 'WHERE');
    const whereSql = where < 0 ? '' : ` ${sql.slice(tokens[where]!.start, clauseEnd(tokens, where, sql.length, false))}`;
    return `SELECT count(*) FROM ${table}${whereSql}`;
  }
  return null;
}

/** Index of the table name in `UPDATE [OR action] table`. */
function tableIndex(tokens: SqlToken[]): number {
  return tokens[1]?.value === 'OR' ? 3 : 1;
}

/** The text of `[schema.]table` starting at token `i`. */
function tableReference(sql: string, tokens: SqlToken[], i: number): string | null {
  const name = tokens[i];
  if (!name || (name.kind !== 'word' && name.kind !== 'identifier')) return null;
  if (tokens[i + 1]?.text === '.' && tokens[i + 2]) return sql.slice(name.start, tokens[i + 2]!.end);
  return name.text;
}

/** Where a SELECT / WHERE clause stops: at ON CONFLICT, RETURNING (and ORDER/LIMIT for WHERE) at top level. */
function clauseEnd(tokens: SqlToken[], from: number, length: number, select: boolean): number {
  for (let i = from + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word') continue;
    if (t.value === 'RETURNING') return t.start;
    if (t.value === 'ON' && tokens[i + 1]?.value === 'CONFLICT') return t.start;
    if (!select && (t.value === 'ORDER' || t.value === 'LIMIT')) return t.start;
  }
  return length;
}
