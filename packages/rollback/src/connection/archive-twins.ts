import { type DialectConnection, type TableInfo, quoteIdentifier as q } from '@mfmig/core';
import type { RegeneratedSince } from '../preservation/regenerated-twins.js';
import { ARCHIVE_SCHEMA, type ConnectionArchive } from './archive-schema.js';

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);
const SAVEPOINT = 'mfmig_restore_twins';

/**
 * Before an up migration, in its transaction: the largest integer key of each table with
 * archives waiting for this up (null when the table does not exist yet), so that the restore
 * after the up tells the rows the up made from the ones that were there. Tables keyed otherwise
 * are left out (see {@link rekeyConnectionTwins}).
 *
 * @example
 * const since = await connectionRegeneratedSince(conn, 'public', await pendingArchives(conn, 'public', 7));
 */
export async function connectionRegeneratedSince(conn: DialectConnection, schema: string, archives: readonly ConnectionArchive[]): Promise<RegeneratedSince> {
  const since = new Map<string, number | null>();
  for (const archive of archives) {
    if (archive.kind === 'columns' || since.has(archive.sourceTable)) continue;
    const table = await conn.introspector.table(archive.sourceTable);
    if (!table) since.set(archive.sourceTable, null);
    else {
      const key = twinKey(table, archive);
      if (!key) continue;
      const [row] = await conn.query<{ top: string | number }>(`SELECT coalesce(max(${q(key)}), 0) AS top FROM ${q(schema)}.${q(table.name)}`);
      since.set(archive.sourceTable, Number(row!.top));
    }
  }
  return since;
}

/**
 * Before archived rows go back (PostgreSQL): an archived row whose integer key is gone and a row
 * the up made under a new key (above `since`) with the same values in every other archived
 * column are one row, which the rollback took out and the up made again (a seed's `INSERT`
 * without ids, the identity giving new ones). The up's row takes the archived key, and the rows
 * that reference its new key through single-column foreign keys follow, in one statement (the
 * foreign keys are checked at its end); the insert that follows then writes the archived row over
 * it. Equal rows pair in key order; values are compared as text. A row the application edited
 * before the rollback pairs with the up's row that has the same values in one of the table's
 * unique keys. A row whose reference to a
 * moved row made it differ matches in the next round, once that reference has moved. When a move fails (a
 * `RESTRICT` key, say), it is taken back and the archive is restored as before. Returns the rows
 * moved.
 *
 * @example
 * await rekeyConnectionTwins(conn, 'public', archive, table, columns, since);
 */
export async function rekeyConnectionTwins(
  conn: DialectConnection,
  schema: string,
  archive: ConnectionArchive,
  table: TableInfo,
  columns: readonly string[],
  since: RegeneratedSince,
): Promise<number> {
  const from = since.get(archive.sourceTable);
  const key = twinKey(table, archive);
  if (from === undefined || archive.kind === 'columns' || !key) return 0;
  const compared = columns.filter((c) => c !== key);
  if (compared.length === 0) return 0;
  const target = `${q(schema)}.${q(table.name)}`;
  const source = `${ARCHIVE_SCHEMA}.${q(archive.archiveTable)}`;
  const type = table.columns.find((c) => c.name === key)!.type;
  const typeOf = new Map(table.columns.map((c) => [c.name, c.type]));
  const text = (alias: string, c: string) => (alias === 'a' ? `CAST(CAST(a.${q(c)} AS ${typeOf.get(c)!}) AS text)` : `CAST(t.${q(c)} AS text)`);
  // the compared values as one hashable key (a jsonb array of their text: NULL stays apart from 'null'), so that pairing joins by hash
  const values = (alias: string) => `jsonb_build_array(${compared.map((c) => text(alias, c)).join(', ')}) AS v`;
  const oldKey = `CAST(a.${q(key)} AS ${type})`;
  const gone = `FROM ${source} AS a WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE t.${q(key)} = ${oldKey})`;
  // archived keys all back in the table (a seed with ids): nothing to pair
  const [missing] = await conn.query<{ n: string | number }>(`SELECT count(*) AS n ${gone}`);
  if (Number(missing!.n) === 0) return 0;
  const newer = `${from === null ? 'true' : `t.${q(key)} > ${from}`} AND t.${q(key)} NOT IN (SELECT ${oldKey} FROM ${source} AS a WHERE a.${q(key)} IS NOT NULL)`;
  const equalRows = `a AS (SELECT ${oldKey} AS k, ${values('a')} ${gone}),
    t AS (SELECT t.${q(key)} AS k, ${values('t')} FROM ${target} AS t WHERE ${newer}),
    an AS (SELECT *, row_number() OVER (PARTITION BY v ORDER BY k) AS n FROM a),
    tn AS (SELECT *, row_number() OVER (PARTITION BY v ORDER BY k) AS n FROM t),
    pairs AS (SELECT an.k AS old, tn.k AS new FROM an JOIN tn ON an.v = tn.v AND an.n = tn.n)`;
  const refs = await referencingColumns(conn, table.name, key);
  // joins, not a lookup per row: a seed of 100,000 rows makes 100,000 pairs
  const own = [key, ...refs.filter((r) => r.child === table.name).map((r) => r.column)];
  const found = own.map((c, i) => `LEFT JOIN pairs AS p${i} ON p${i}.new = y.${q(c)}`).join(' ');
  const updates = [
    `moved AS (UPDATE ${target} AS x SET ${own.map((c, i) => `${q(c)} = coalesce(m.o${i}, x.${q(c)})`).join(', ')}
      FROM (SELECT y.${q(key)} AS row_key, ${own.map((_, i) => `p${i}.old AS o${i}`).join(', ')} FROM ${target} AS y ${found}
        WHERE ${own.map((_, i) => `p${i}.new IS NOT NULL`).join(' OR ')}) AS m
      WHERE x.${q(key)} = m.row_key RETURNING 1)`,
    ...refs
      .filter((r) => r.child !== table.name)
      .map((r, i) => `r${i} AS (UPDATE ${q(schema)}.${q(r.child)} AS x SET ${q(r.column)} = p.old FROM pairs AS p WHERE x.${q(r.column)} = p.new RETURNING 1)`),
  ];
  // a row the application edited before the rollback differs from its twin, but not in a unique key the seed gave it
  const sameUniqueKey = uniqueKeys(table, key, compared).map(
    (
      cols,
    ) => `pairs AS (SELECT ${oldKey} AS old, t.${q(key)} AS new FROM ${target} AS t JOIN ${source} AS a ON ${cols.map((c) => `CAST(a.${q(c)} AS ${typeOf.get(c)!}) = t.${q(c)}`).join(' AND ')}
      WHERE ${newer} AND NOT EXISTS (SELECT 1 FROM ${target} AS s WHERE s.${q(key)} = ${oldKey}))`,
  );
  // a row pointing at a moved one (a self-reference) matches its twin once that one has moved: rounds until none moves
  let total = 0;
  for (let round = -1; round !== 0; total += round) {
    round = 0;
    for (const pairs of [equalRows, ...sameUniqueKey]) round += await moveRound(conn, `WITH ${pairs}, ${updates.join(', ')} SELECT count(*) AS n FROM pairs`);
  }
  return total;
}

/** One statement of moves in a savepoint; 0 when nothing paired, or when the moves failed (taken back). */
async function moveRound(conn: DialectConnection, sql: string): Promise<number> {
  await conn.execute(`SAVEPOINT ${SAVEPOINT}`);
  try {
    const [row] = await conn.query<{ n: string | number }>(sql);
    await conn.execute(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return Number(row!.n);
  } catch {
    await conn.execute(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    await conn.execute(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return 0;
  }
}

/** The column lists of the table's unique indexes (not partial, not the key) whose columns are all `compared`. */
function uniqueKeys(table: TableInfo, key: string, compared: readonly string[]): string[][] {
  return table.indexes
    .filter((i) => i.unique && !/\sWHERE\s/i.test(i.definition) && i.columns.length > 0 && i.columns.every((c) => compared.includes(c)))
    .filter((i) => !(i.columns.length === 1 && i.columns[0] === key))
    .map((i) => i.columns);
}

/** The primary key of `table` when it is one integer column the archive holds. */
function twinKey(table: TableInfo, archive: ConnectionArchive): string | undefined {
  if (table.primaryKey.length !== 1) return undefined;
  const [key] = table.primaryKey;
  const column = table.columns.find((c) => c.name === key);
  return column && INTEGER_TYPES.has(column.type) && archive.columns.includes(key!) ? key : undefined;
}

/** The single-column foreign keys of the schema that point at `table`'s `key`. */
async function referencingColumns(conn: DialectConnection, table: string, key: string): Promise<{ child: string; column: string }[]> {
  return (await conn.introspector.tables()).flatMap((t) =>
    t.foreignKeys
      .filter((fk) => fk.referencedTable === table && fk.columns.length === 1 && fk.referencedColumns[0] === key)
      .map((fk) => ({ child: t.name, column: fk.columns[0]! })),
  );
}
