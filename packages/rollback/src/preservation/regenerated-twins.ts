import { type SqliteConnection, quoteIdentifier as q } from '@mfmig/core';
import { type TableInfo, tableShapes } from '../analysis/table-inventory.js';
import { type ArchiveEntry, archiveBelongsTo, archiveLineage, restorableArchives } from './archive-registry.js';

/**
 * Per table (lower-case name): its largest integer key before an up migration ran, so that the
 * rows above it are the ones the up made; null when the table did not exist then (all its rows
 * are the up's). Only tables with archives waiting to be put back are listed.
 */
export type RegeneratedSince = ReadonlyMap<string, number | null>;

/**
 * The marks of a run's up steps, from before each up (`set`) to the restore after it (`take`,
 * which forgets the mark); `forget` drops what a run that stopped early left.
 *
 * @example
 * marks.set(runId, version, await regeneratedSince(conn, version)); // before the up
 * await restoreArchives(conn, version, marks.take(runId, version)); // after it
 */
export class RegeneratedMarks {
  readonly #marks = new Map<string, RegeneratedSince>();

  set(runId: string, version: number, since: RegeneratedSince): void {
    this.#marks.set(`${runId}:${version}`, since);
  }

  take(runId: string, version: number): RegeneratedSince | undefined {
    const since = this.#marks.get(`${runId}:${version}`);
    this.#marks.delete(`${runId}:${version}`);
    return since;
  }

  forget(runId: string): void {
    for (const key of this.#marks.keys()) if (key.startsWith(`${runId}:`)) this.#marks.delete(key);
  }
}

/** The integer key a twin is found by: the rowid, or the INTEGER PRIMARY KEY that is its alias. */
interface TwinKey {
  /** Its column in the archive table. */
  archived: string;
  /** Its column in the source table (`rowid` for the rowid itself). */
  live: string;
}

/**
 * Before an up migration, in its transaction: where each table with archives of versions up to
 * `upToVersion` stands, so that the restore after the up can tell the rows the up made from the
 * ones that were there (see {@link rekeyRegeneratedTwins}).
 *
 * @example
 * const since = await regeneratedSince(ctx.connection, migration.version); // before the up
 * await restoreArchives(ctx.connection, migration.version, since); // after it
 */
export async function regeneratedSince(conn: SqliteConnection, upToVersion: number): Promise<RegeneratedSince> {
  const since = new Map<string, number | null>();
  const listed = (await restorableArchives(conn, upToVersion)).filter((a) => a.kind !== 'columns');
  if (listed.length === 0) return since;
  const lineage = archiveLineage(conn);
  const due = listed.filter((a) => archiveBelongsTo(a, lineage));
  const tables = new Map([...tableShapes(conn.introspector).values()].map((t) => [t.name.toLowerCase(), t]));
  for (const archive of due) {
    const name = archive.sourceTable.toLowerCase();
    if (since.has(name)) continue;
    const table = tables.get(name);
    if (!table) since.set(name, null);
    else {
      const key = twinKey(archive, table);
      if (key) since.set(name, Number(await scalar(conn, `SELECT coalesce(max(${keySql(key)}), 0) AS n FROM ${q(table.name)}`)));
    }
  }
  return since;
}

/**
 * Before archived rows go back: an archived row whose integer key is no longer in the table, and
 * a row the up made under a new key with the same values in every other archived column, are
 * one row that the rollback took out and the up made again (a seed's `INSERT` without ids). The
 * up's row takes the archived key, so that the archived row is written over it instead of coming
 * back beside it, and rows that still point at the old key find it. Rows the up made that point
 * at the new key (single-column foreign keys) follow it, so that their own archived twins match
 * next. Equal rows pair in key order. A row the application edited before the rollback pairs
 * with the up's row that has the same values in one of the table's unique keys (`code`, say).
 * Tables keyed otherwise (text or composite keys) are left as they are: a regenerated row there
 * holds the archived key or a new value that nothing can match. Returns the rows re-keyed.
 *
 * @example
 * await rekeyRegeneratedTwins(conn, archive, table, columns, since); // then the upsert
 */
export async function rekeyRegeneratedTwins(
  conn: SqliteConnection,
  archive: ArchiveEntry,
  table: TableInfo,
  columns: string[],
  since: RegeneratedSince,
): Promise<number> {
  const from = since.get(table.name.toLowerCase());
  const key = twinKey(archive, table);
  if (from === undefined || archive.kind === 'columns' || !key) return 0;
  const compared = columns.filter((c) => c !== key.archived && c.toLowerCase() !== key.live.toLowerCase());
  const id = keySql(key);
  if (compared.length === 0) return 0;
  const live = q(table.name);
  const stored = q(archive.archiveTable);
  const k = q(key.archived);
  const gone = `FROM ${stored} AS a WHERE NOT EXISTS (SELECT 1 FROM ${live} AS s WHERE s.${id} = a.${k})`;
  if (Number(await scalar(conn, `SELECT count(*) AS n ${gone}`)) === 0) return 0;
  const values = compared.map((c) => q(c)).join(', ');
  const newer = `${from === null ? 'true' : `${id} > ?`} AND ${id} NOT IN (SELECT ${k} FROM ${stored})`;
  const params = from === null ? [] : [from];
  const equalRows = () =>
    conn.query<KeyPair>(
      `WITH a AS (SELECT a.${k} AS mfmig_key, row_number() OVER (PARTITION BY ${values} ORDER BY a.${k}) AS mfmig_n, ${values} ${gone}),
      t AS (SELECT ${id} AS mfmig_key, row_number() OVER (PARTITION BY ${values} ORDER BY ${id}) AS mfmig_n, ${values} FROM ${live} WHERE ${newer})
    SELECT a.mfmig_key AS old, t.mfmig_key AS new FROM a JOIN t ON a.mfmig_n = t.mfmig_n AND ${compared.map((c) => `a.${q(c)} IS t.${q(c)}`).join(' AND ')}`,
      params,
    );
  // a row the application edited before the rollback differs from its twin, but not in a unique key the seed gave it
  const sameUniqueKey = (await uniqueKeys(conn, table.name, compared)).map(
    (cols) => () =>
      conn.query<KeyPair>(
        `SELECT a.${k} AS old, t.mfmig_key AS new FROM (SELECT ${id} AS mfmig_key, ${cols.map((c) => q(c)).join(', ')} FROM ${live} WHERE ${newer}) AS t
          JOIN ${stored} AS a ON ${cols.map((c) => `a.${q(c)} = t.${q(c)}`).join(' AND ')}
         WHERE NOT EXISTS (SELECT 1 FROM ${live} AS s WHERE s.${id} = a.${k})`,
        params,
      ),
  );
  // a row pointing at a moved one (a self-reference) matches its twin once that one has moved: rounds until none moves
  let moved = 0;
  for (let round = -1; round !== 0;) {
    round = 0;
    for (const pair of [equalRows, ...sameUniqueKey]) {
      const pairs = await pair();
      if (pairs.length === 0) continue;
      await rekey(conn, table.name, key, pairs);
      round += pairs.length;
    }
    moved += round;
  }
  return moved;
}

/**
 * Moves each pair's row from its new key to its old one, and what references the new key with
 * it; with foreign keys enforced the two moves are checked together (deferred), and a move that
 * leaves a reference dangling throws (the caller's savepoint takes it back).
 */
async function rekey(conn: SqliteConnection, tableName: string, key: TwinKey, pairs: readonly KeyPair[]): Promise<void> {
  const refs = await referencingColumns(conn, tableName, key);
  const deferred = refs.length > 0 && (await conn.foreignKeysEnabled());
  const checked = [...new Set([tableName, ...refs.map((r) => r.child)])];
  const violations = async () => {
    let n = 0;
    for (const t of checked) n += await conn.foreignKeyViolationCount(t);
    return n;
  };
  const violationsBefore = deferred ? await violations() : 0;
  const moves: KeyMove[] = [{ table: tableName, column: keySql(key) }, ...refs.map((r) => ({ table: r.child, column: q(r.column) }))];
  if (deferred) await conn.execute('PRAGMA defer_foreign_keys = ON');
  try {
    if (await movesCommute(conn, moves, pairs)) await moveInBatches(conn, moves, pairs);
    else
      for (const pair of pairs)
        for (const m of moves) await conn.execute(`UPDATE ${q(m.table)} SET ${m.column} = ? WHERE ${m.column} = ?`, [pair.old, pair.new]);
    if (deferred && (await violations()) > violationsBefore) {
      throw new Error(`moving the rows the up made again in ${tableName} to their archived keys would leave references dangling`);
    }
  } finally {
    if (deferred) await conn.execute('PRAGMA defer_foreign_keys = OFF');
  }
}

/** One column a rekey moves: the twin key (`rowid` or quoted), or a column that references it (quoted). */
interface KeyMove {
  table: string;
  column: string;
}

/** Pairs a statement of {@link moveInBatches} moves: two parameters each, far below SQLite's 32,766. */
const PAIRS_PER_MOVE = 500;

/**
 * True when moving the pairs a batch at a time leaves what moving them one by one does. The
 * pairs never collide (an archived key is not in the table, a new key is not archived) unless two
 * share an archived key: one by one, the second move fails, as it must. A batch moves its rows in
 * the table's order, not the pairs', and a key's rows before their references' rows: so no
 * trigger may fire on a table whose rows change, or it would see them in another order.
 */
async function movesCommute(conn: SqliteConnection, moves: readonly KeyMove[], pairs: readonly KeyPair[]): Promise<boolean> {
  if (new Set(pairs.map((p) => String(p.old))).size !== pairs.length) return false;
  const triggers = await conn.introspector.catalog({ type: 'trigger' });
  if (triggers.length === 0) return true;
  // the tables whose rows change: the moved columns' tables, and the tables an ON UPDATE action reaches from them
  const changed = new Set(moves.map((m) => m.table.toLowerCase()));
  const foreignKeys = conn.introspector.foreignKeysSync();
  for (let grew = true; grew;) {
    grew = false;
    for (const fk of foreignKeys) {
      if (!changed.has(fk.referencedTable.toLowerCase()) || changed.has(fk.table.toLowerCase())) continue;
      changed.add(fk.table.toLowerCase());
      grew = true;
    }
  }
  return !triggers.some((t) => changed.has(t.tbl_name.toLowerCase()));
}

/** The moves of {@link rekey}, many pairs to a statement (one await per statement, not per pair); a pair whose new key an earlier pair moved is a no-op, as one by one. */
async function moveInBatches(conn: SqliteConnection, moves: readonly KeyMove[], pairs: readonly KeyPair[]): Promise<void> {
  const seen = new Set<string>();
  const firsts = pairs.filter((p) => !seen.has(String(p.new)) && seen.add(String(p.new)));
  for (let at = 0; at < firsts.length; at += PAIRS_PER_MOVE) {
    const chunk = firsts.slice(at, at + PAIRS_PER_MOVE);
    const values = chunk.map(() => '(?, ?)').join(', ');
    const params = chunk.flatMap((p) => [p.old, p.new]);
    for (const { table, column } of moves) {
      await conn.execute(`UPDATE ${q(table)} SET ${column} = p.column1 FROM (VALUES ${values}) AS p WHERE ${q(table)}.${column} = p.column2`, params);
    }
  }
}

/** The single-column foreign keys that point at the twin key of `table`. */
async function referencingColumns(conn: SqliteConnection, table: string, key: TwinKey): Promise<{ child: string; column: string }[]> {
  if (key.archived === 'mfmig_rowid') return [];
  const catalog = conn.introspector;
  const found: { child: string; column: string }[] = [];
  for (const child of catalog.referencingTablesSync(table)) {
    for (const fk of await catalog.foreignKeyList(child)) {
      const toKey = (fk.to[0] ?? key.live).toLowerCase() === key.live.toLowerCase();
      if (fk.parent.toLowerCase() === table.toLowerCase() && fk.from.length === 1 && toKey) found.push({ child, column: fk.from[0]! });
    }
  }
  return found;
}

/** The column lists of the table's unique indexes (not partial, no expressions) whose columns are all `compared`. */
async function uniqueKeys(conn: SqliteConnection, table: string, compared: readonly string[]): Promise<string[][]> {
  const names = new Map(compared.map((c) => [c.toLowerCase(), c]));
  return (await conn.introspector.indexList(table))
    .filter((i) => i.unique && !i.partial && i.keys.length > 0 && i.keys.every((k) => k.cid >= 0 && k.name !== null && names.has(k.name.toLowerCase())))
    .map((i) => i.keys.map((k) => names.get(k.name!.toLowerCase())!));
}

/** An archived row's key (`old`) and the key the up gave its twin (`new`); exact beyond 2^53 (bigints). */
interface KeyPair {
  old: number | bigint;
  new: number | bigint;
}

/** The first column of a statement's one row. */
async function scalar(conn: SqliteConnection, sql: string): Promise<unknown> {
  const [row] = await conn.query<Record<string, unknown>>(sql);
  return row ? Object.values(row)[0] : undefined;
}

function twinKey(archive: ArchiveEntry, table: TableInfo): TwinKey | undefined {
  if (table.withoutRowid) return undefined;
  if (archive.keyKind === 'rowid') return { archived: 'mfmig_rowid', live: 'rowid' };
  const pk = table.columns.filter((c) => c.pk > 0);
  const [only] = archive.keyColumns;
  if (archive.keyColumns.length !== 1 || pk.length !== 1 || pk[0]!.name.toLowerCase() !== only!.toLowerCase()) return undefined;
  return pk[0]!.type.toUpperCase() === 'INTEGER' ? { archived: only!, live: pk[0]!.name } : undefined;
}

function keySql(key: TwinKey): string {
  return key.archived === 'mfmig_rowid' ? 'rowid' : q(key.live);
}
