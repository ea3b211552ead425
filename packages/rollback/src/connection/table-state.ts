import { type DialectConnection, quoteIdentifier as q } from '@mfmig/core';

/** A user table as a rollback sees it before and after a down: its columns, key and a digest of its rows. */
export interface TableState {
  name: string;
  columns: string[];
  primaryKey: string[];
  rows: number;
  /** A sum of the rows' hashes: equal for the same set of rows (a change of any value changes it). */
  digest: string;
}

/**
 * The schema the connection works in (its search_path's first schema).
 *
 * @example
 * await currentSchema(conn); // 'public'
 */
export async function currentSchema(conn: DialectConnection): Promise<string> {
  const [row] = await conn.query<{ schema: string }>('SELECT current_schema() AS schema');
  return row!.schema;
}

/**
 * Every user table of the connection's schema with a digest of its rows, read in one pass per
 * table (`hashtextextended` of each row's text). mfmig's own tables are left out.
 *
 * @example
 * const before = await tableStates(conn, 'public');
 */
export async function tableStates(conn: DialectConnection, schema: string): Promise<Map<string, TableState>> {
  const states = new Map<string, TableState>();
  for (const table of await conn.introspector.tables()) {
    const { rows, digest } = await tableDigest(conn, schema, table.name);
    states.set(table.name, { name: table.name, columns: table.columns.map((c) => c.name), primaryKey: table.primaryKey, rows, digest });
  }
  return states;
}

/**
 * The row count and digest of one table, over every column or over `columns` only (to compare a
 * table with one that lost columns).
 *
 * @example
 * await tableDigest(conn, 'public', 'kb_entries', ['id', 'title']);
 */
export async function tableDigest(
  conn: DialectConnection,
  schema: string,
  table: string,
  columns?: readonly string[],
): Promise<{ rows: number; digest: string }> {
  const rowText = columns === undefined ? 't::text' : `ROW(${columns.map((c) => `t.${q(c)}`).join(', ')})::text`;
  const [row] = await conn.query<{ n: string; h: string }>(
    `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(${rowText}, 0)::numeric), 0)::text AS h FROM ${q(schema)}.${q(table)} AS t`,
  );
  return { rows: Number(row!.n), digest: row!.h };
}

/**
 * The tables of `before` that still exist in `after` with fewer columns, and the columns they kept.
 *
 * @example
 * for (const [table, kept] of shrunkTables(before, after)) ...
 */
export function shrunkTables(before: Map<string, TableState>, after: Map<string, TableState>): Map<string, string[]> {
  const shrunk = new Map<string, string[]>();
  for (const old of before.values()) {
    const now = after.get(old.name);
    if (now && old.columns.some((c) => !now.columns.includes(c)))
      shrunk.set(
        old.name,
        old.columns.filter((c) => now.columns.includes(c)),
      );
  }
  return shrunk;
}

/** What a down would lose from one table. */
export interface TableLoss {
  kind: 'table' | 'columns' | 'rows';
  table: string;
  /** For `columns`: the dropped columns; else every column of the table before the down. */
  columns: string[];
  primaryKey: string[];
  rows: number;
}

/**
 * What a down loses, from the states before and after it: dropped tables, dropped columns, and
 * tables whose rows changed (deleted, updated, or cascaded from another table); a table that lost
 * columns counts as changed when it is in `keptColumnsChanged`. Tables that held no rows lose
 * nothing.
 *
 * @example
 * const losses = lossesBetween(before, after, new Set());
 */
export function lossesBetween(before: Map<string, TableState>, after: Map<string, TableState>, keptColumnsChanged: ReadonlySet<string>): TableLoss[] {
  const losses: TableLoss[] = [];
  for (const old of before.values()) {
    if (old.rows === 0) continue;
    const now = after.get(old.name);
    const base = { table: old.name, primaryKey: old.primaryKey, rows: old.rows };
    if (!now) {
      losses.push({ ...base, kind: 'table', columns: old.columns });
      continue;
    }
    const dropped = old.columns.filter((c) => !now.columns.includes(c));
    if (dropped.length > 0 && old.primaryKey.length > 0 && old.primaryKey.every((k) => now.columns.includes(k))) {
      losses.push({ ...base, kind: 'columns', columns: dropped });
    }
    // a table that lost columns is compared over the columns it kept (its full digest changed anyway)
    const changed = dropped.length > 0 ? keptColumnsChanged.has(old.name) : now.rows !== old.rows || now.digest !== old.digest;
    if (changed || (dropped.length > 0 && old.primaryKey.length === 0)) losses.push({ ...base, kind: 'rows', columns: old.columns });
  }
  return losses;
}
