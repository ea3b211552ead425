import {
  BatchPacer,
  type BatchPacing,
  isSqlKeyword,
  quoteIdentifier,
  type SqlToken,
  splitSqlList,
  tokenName,
  tokenizeSql,
  type SqliteConnection,
} from '@mfmig/core';

/** A main-database table the query reads, and the column numbers (cid) it reads from it. */
export interface TableRead {
  table: string;
  columns: Set<number>;
  /** Every column (the query reads an expression index of the table). */
  all: boolean;
}

/** The TEMP copy of the columns of one table a staged query reads. */
export interface TableCopy {
  table: string;
  /** Quoted column names, in the table's order. */
  columns: string[];
  /** `CREATE TEMP TABLE` of those columns, under the table's own name. */
  ddl: string;
}

/**
 * The TEMP copies a query's reads need: for each table, its primary key columns, the columns
 * its program reads and every column the query's text names (a check SQLite optimised away
 * still names its column), in the table's column order, with their declared types and
 * collations (a column's collation decides how the query compares, sorts and groups its text).
 * Null when a table cannot be copied so faithfully: WITHOUT ROWID (no rowid to batch on),
 * generated or hidden columns, or a collation named anywhere but on a column of its own.
 */
export async function tableCopies(conn: SqliteConnection, reads: TableRead[], select: string): Promise<TableCopy[] | null> {
  const named = new Set(
    tokenizeSql(select)
      .filter((t) => t.kind === 'word' || t.kind === 'identifier')
      .map((t) => tokenName(t).toLowerCase()),
  );
  const catalog = conn.introspector;
  const copies: TableCopy[] = [];
  for (const read of reads) {
    // this spelling of the name only, as `name = ?` matched it
    const sql = (await catalog.catalog({ type: 'table', name: read.table })).find((r) => r.name === read.table)?.sql;
    if (!sql) return null;
    const tokens = tokenizeSql(sql);
    if (tokens.some((t, i) => isSqlKeyword(t, 'WITHOUT') && isSqlKeyword(tokens[i + 1], 'ROWID'))) return null;
    const collations = columnCollations(tokens);
    if (!collations) return null;
    // no schema: the main.-prefixed pragma this replaces looked where an unqualified name resolves (TEMP first)
    const info = await catalog.columns(read.table);
    if (info.some((c) => c.hidden !== 0)) return null;
    const kept = info.filter((c) => read.all || c.pk > 0 || read.columns.has(c.cid) || named.has(c.name.toLowerCase()));
    if (kept.length === 0) return null;
    const columns = kept.map((c) => quoteIdentifier(c.name));
    const definitions = kept.map((c) => {
      const collation = collations.get(c.name.toLowerCase());
      return `${quoteIdentifier(c.name)}${c.type ? ` ${c.type}` : ''}${collation ? ` COLLATE ${quoteIdentifier(collation)}` : ''}`;
    });
    copies.push({ table: read.table, columns, ddl: `CREATE TEMP TABLE ${quoteIdentifier(read.table)} (${definitions.join(', ')})` });
  }
  return copies;
}

/**
 * The collation each column declares (`name TEXT COLLATE NOCASE`), by lower-case column name,
 * read from the table's `CREATE TABLE`. Null when a collation is named anywhere else (in a
 * table constraint, a CHECK or a DEFAULT): the copy could not be shown to compare as the
 * table does, so the caller does not copy it.
 */
function columnCollations(tokens: SqlToken[]): Map<string, string> | null {
  const collations = new Map<string, string>();
  const open = tokens.findIndex((t) => t.kind === 'punct' && t.text === '(' && t.depth === 0);
  if (open < 0) return null;
  const close = tokens.findIndex((t, i) => i > open && t.depth === 0);
  for (const [first, ...rest] of splitSqlList(tokens.slice(open + 1, close < 0 ? undefined : close))) {
    const at = rest.findIndex((t) => isSqlKeyword(t, 'COLLATE'));
    if (at < 0) continue;
    const column = first !== undefined && !isSqlKeyword(first, 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN');
    const name = rest[at + 1];
    // one COLLATE per column, among its own constraints: not in an expression, not twice
    if (!column || rest[at]!.depth !== 1 || !name || name.depth !== 1 || rest.slice(at + 1).some((t) => isSqlKeyword(t, 'COLLATE'))) return null;
    collations.set(tokenName(first).toLowerCase(), tokenName(name));
  }
  return collations;
}

/** Creates the (empty) TEMP copies. While they exist, unqualified names on this connection resolve to them. */
export async function createCopies(conn: SqliteConnection, copies: TableCopy[]): Promise<void> {
  for (const c of copies) await conn.execute(c.ddl);
}

/** Drops the TEMP copies (always qualified: `main` tables of the same names are never touched). */
export async function dropCopies(conn: SqliteConnection, copies: TableCopy[]): Promise<void> {
  for (const c of copies) await conn.execute(`DROP TABLE IF EXISTS temp.${quoteIdentifier(c.table)}`);
}

/**
 * True when the query, compiled against the copies, reads nothing of the main database: it
 * names its tables unqualified, and every column it reads was copied (it compiles).
 */
export async function readsOnlyCopies(conn: SqliteConnection, select: string, copies: TableCopy[]): Promise<boolean> {
  await createCopies(conn, copies);
  try {
    const program = await conn.query<{ opcode: string; p3: number }>(`EXPLAIN ${select}`);
    return !program.some((op) => (op.opcode === 'OpenRead' || op.opcode === 'ReopenIdx') && op.p3 !== 1);
  } catch {
    return false;
  } finally {
    await dropCopies(conn, copies);
  }
}

/**
 * Creates the TEMP copies, fills them (see {@link fillCopies}), runs `read` while they hide the
 * main tables of the same names, and drops them whatever happens.
 *
 * @example
 * const rows = await overCopies(conn, copies, { pacing, maxRows: 100_000 }, () => conn.query(select));
 */
export async function overCopies<T>(
  conn: SqliteConnection,
  copies: TableCopy[],
  fill: { pacing: BatchPacing; maxRows: number; signal?: AbortSignal },
  read: (copied: Map<string, number>) => Promise<T>,
): Promise<T> {
  await dropCopies(conn, copies);
  await createCopies(conn, copies);
  try {
    return await read(await fillCopies(conn, copies, fill.pacing, fill.maxRows, fill.signal));
  } finally {
    await dropCopies(conn, copies);
  }
}

/**
 * Fills the TEMP copies from the main tables in rowid batches of about `pacing.targetMs`, each
 * its own short read, with a pause after each so that the application commits between them (a
 * rollback journal stops commits while anyone reads). Returns the rows copied per table.
 */
export async function fillCopies(
  conn: SqliteConnection,
  copies: TableCopy[],
  pacing: BatchPacing,
  maxRows: number,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const copied = new Map<string, number>();
  for (const c of copies) {
    const main = `main.${quoteIdentifier(c.table)}`;
    const list = c.columns.join(', ');
    // rowids as bigints: a JS number rounds those beyond 2^53, and a rounded batch end repeats or skips rows
    const [bounds] = await conn.query<{ first: number | bigint | null; last: number | bigint | null }>(
      `SELECT min(rowid) AS first, max(rowid) AS last FROM ${main}`,
    );
    const first = bigintOrNull(bounds?.first);
    const last = bigintOrNull(bounds?.last);
    const nextEnd = `SELECT rowid AS r FROM ${main} WHERE rowid > ? ORDER BY rowid LIMIT 1 OFFSET ?`;
    const copy = `INSERT INTO temp.${quoteIdentifier(c.table)} (rowid, ${list}) SELECT rowid, ${list} FROM ${main} WHERE rowid > ? AND rowid <= ?`;
    const pacer = new BatchPacer(pacing, maxRows);
    let after = first === null ? 0n : first - 1n;
    let rows = 0;
    while (last !== null && after < last) {
      signal?.throwIfAborted();
      const started = performance.now();
      const [next] = await conn.query<{ r: number | bigint }>(nextEnd, [after, pacer.size - 1]);
      const end = next === undefined ? last : BigInt(next.r);
      const n = await conn.execute(copy, [after, end]);
      rows += n;
      pacer.record(n, performance.now() - started);
      after = end;
      await pacer.pause();
    }
    copied.set(c.table, rows);
  }
  return copied;
}

/** A rowid as SQLite gave it (exact: a number below 2^53, a bigint beyond), as a bigint. */
function bigintOrNull(value: number | bigint | null | undefined): bigint | null {
  return value === null || value === undefined ? null : BigInt(value);
}
