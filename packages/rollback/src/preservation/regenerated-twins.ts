import { type DatabaseAdapter, quoteIdentifier as q } from '@mfmig/core';
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
 * marks.set(runId, version, regeneratedSince(adapter, version)); // before the up
 * restoreArchives(adapter, version, marks.take(runId, version)); // after it
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
 * const since = regeneratedSince(adapter, migration.version); // before the up
 * restoreArchives(adapter, migration.version, since); // after it
 */
export function regeneratedSince(adapter: DatabaseAdapter, upToVersion: number): RegeneratedSince {
  const since = new Map<string, number | null>();
  const listed = restorableArchives(adapter, upToVersion).filter((a) => a.kind !== 'columns');
  if (listed.length === 0) return since;
  const lineage = archiveLineage(adapter);
  const due = listed.filter((a) => archiveBelongsTo(a, lineage));
  const tables = new Map([...tableShapes(adapter.introspector).values()].map((t) => [t.name.toLowerCase(), t]));
  for (const archive of due) {
    const name = archive.sourceTable.toLowerCase();
    if (since.has(name)) continue;
    const table = tables.get(name);
    if (!table) since.set(name, null);
    else {
      const key = twinKey(archive, table);
      if (key) since.set(name, Number(adapter.value(`SELECT coalesce(max(${keySql(key)}), 0) FROM ${q(table.name)}`)));
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
 * rekeyRegeneratedTwins(adapter, archive, table, columns, since); // then the upsert
 */
export function rekeyRegeneratedTwins(adapter: DatabaseAdapter, archive: ArchiveEntry, table: TableInfo, columns: string[], since: RegeneratedSince): number {
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
  if (Number(adapter.value(`SELECT count(*) ${gone}`)) === 0) return 0;
  const values = compared.map((c) => q(c)).join(', ');
  const newer = `${from === null ? 'true' : `${id} > ?`} AND ${id} NOT IN (SELECT ${k} FROM ${stored})`;
  const params = from === null ? [] : [from];
  const equalRows = () =>
    adapter.all<{ old: number; new: number }>(
      `WITH a AS (SELECT a.${k} AS mfmig_key, row_number() OVER (PARTITION BY ${values} ORDER BY a.${k}) AS mfmig_n, ${values} ${gone}),
      t AS (SELECT ${id} AS mfmig_key, row_number() OVER (PARTITION BY ${values} ORDER BY ${id}) AS mfmig_n, ${values} FROM ${live} WHERE ${newer})
    SELECT a.mfmig_key AS old, t.mfmig_key AS new FROM a JOIN t ON a.mfmig_n = t.mfmig_n AND ${compared.map((c) => `a.${q(c)} IS t.${q(c)}`).join(' AND ')}`,
      params,
    );
  // a row the application edited before the rollback differs from its twin, but not in a unique key the seed gave it
  const sameUniqueKey = uniqueKeys(adapter, table.name, compared).map(
    (cols) => () =>
      adapter.all<{ old: number; new: number }>(
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
      const pairs = pair();
      if (pairs.length === 0) continue;
      rekey(adapter, table.name, key, pairs);
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
function rekey(adapter: DatabaseAdapter, tableName: string, key: TwinKey, pairs: readonly { old: number; new: number }[]): void {
  const refs = referencingColumns(adapter, tableName, key);
  const deferred = refs.length > 0 && adapter.foreignKeysEnabled();
  const checked = [...new Set([tableName, ...refs.map((r) => r.child)])];
  const violationsBefore = deferred ? checked.reduce((n, t) => n + adapter.foreignKeyCheck(t).length, 0) : 0;
  const moves = [
    `UPDATE ${q(tableName)} SET ${keySql(key)} = ? WHERE ${keySql(key)} = ?`,
    ...refs.map((r) => `UPDATE ${q(r.child)} SET ${q(r.column)} = ? WHERE ${q(r.column)} = ?`),
  ].map((sql) => adapter.prepare(sql));
  if (deferred) adapter.run('PRAGMA defer_foreign_keys = ON');
  try {
    for (const pair of pairs) for (const move of moves) move.run(pair.old, pair.new);
    if (deferred && checked.reduce((n, t) => n + adapter.foreignKeyCheck(t).length, 0) > violationsBefore) {
      throw new Error(`moving the rows the up made again in ${tableName} to their archived keys would leave references dangling`);
    }
  } finally {
    if (deferred) adapter.run('PRAGMA defer_foreign_keys = OFF');
  }
}

/** The single-column foreign keys that point at the twin key of `table`. */
function referencingColumns(adapter: DatabaseAdapter, table: string, key: TwinKey): { child: string; column: string }[] {
  if (key.archived === 'mfmig_rowid') return [];
  const catalog = adapter.introspector;
  return catalog.referencingTablesSync(table).flatMap((child) =>
    catalog
      .foreignKeyListSync(child)
      .filter(
        (fk) => fk.parent.toLowerCase() === table.toLowerCase() && fk.from.length === 1 && (fk.to[0] ?? key.live).toLowerCase() === key.live.toLowerCase(),
      )
      .map((fk) => ({ child, column: fk.from[0]! })),
  );
}

/** The column lists of the table's unique indexes (not partial, no expressions) whose columns are all `compared`. */
function uniqueKeys(adapter: DatabaseAdapter, table: string, compared: readonly string[]): string[][] {
  const names = new Map(compared.map((c) => [c.toLowerCase(), c]));
  return adapter.introspector
    .indexListSync(table)
    .filter((i) => i.unique && !i.partial && i.keys.length > 0 && i.keys.every((k) => k.cid >= 0 && k.name !== null && names.has(k.name.toLowerCase())))
    .map((i) => i.keys.map((k) => names.get(k.name!.toLowerCase())!));
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
