import { type SqlToken, type SqliteConnection, isSqlKeyword, quoteIdentifier, tokenName, tokenizeSql } from '@mfmig/core';

/** A column a rebuild makes NOT NULL that is nullable now, with the NULLs it holds today. */
export interface TightenedColumn {
  column: string;
  nulls: number;
}

/**
 * Column name -> declared NOT NULL, for the column definitions of a CREATE TABLE statement.
 *
 * @example
 * notNullColumns('CREATE TABLE t (a TEXT NOT NULL, b TEXT)'); // Map { 'a' => true, 'b' => false }
 */
export function notNullColumns(createSql: string): Map<string, boolean> {
  const words = tokenizeSql(createSql);
  const open = words.findIndex((w) => w.kind === 'punct' && w.value === '(');
  const out = new Map<string, boolean>();
  if (open === -1) return out;
  let depth = 0;
  let item: SqlToken[] = [];
  const flush = () => {
    if (item.length > 0 && !isSqlKeyword(item[0], 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN')) {
      out.set(
        tokenName(item[0]!).toLowerCase(),
        item.some((w, i) => isSqlKeyword(w, 'NOT') && isSqlKeyword(item[i + 1], 'NULL')),
      );
    }
    item = [];
  };
  for (const w of words.slice(open + 1)) {
    if (w.kind === 'punct' && w.value === '(') depth++;
    if (w.kind === 'punct' && w.value === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && w.kind === 'punct' && w.value === ',') flush();
    else item.push(w);
  }
  flush();
  return out;
}

/**
 * Columns that a table rebuild turns NOT NULL while the live table allows NULL, and how many
 * NULLs each holds now (a read-only count on the live database). A count above zero means
 * the rebuild's copy will fail.
 *
 * @example
 * await tightenedColumns(conn, 'kb_entries', 'CREATE TABLE kb_entries (id INTEGER PRIMARY KEY, last_used TEXT NOT NULL)');
 * // [{ column: 'last_used', nulls: 1200 }]
 */
export async function tightenedColumns(live: SqliteConnection | undefined, table: string, createSql: string): Promise<TightenedColumn[]> {
  const now = live && (await live.introspector.table(table));
  if (!live || !now) return [];
  const next = notNullColumns(createSql);
  const tightened: TightenedColumn[] = [];
  for (const c of now.columns) {
    if (c.generated || !c.nullable || now.primaryKey.includes(c.name) || next.get(c.name.toLowerCase()) !== true) continue;
    const [row] = await live.query<{ nulls: number }>(`SELECT count(*) AS nulls FROM ${quoteIdentifier(table)} WHERE ${quoteIdentifier(c.name)} IS NULL`);
    tightened.push({ column: c.name, nulls: Number(row?.nulls ?? 0) });
  }
  return tightened;
}
