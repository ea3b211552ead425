import { type DialectConnection, type TableInfo, quoteIdentifier as q } from '@mfmig/core';
import type { RegeneratedSince } from '../preservation/regenerated-twins.js';
import { ARCHIVE_SCHEMA, type ConnectionArchive, markRestored } from './archive-schema.js';
import { rekeyConnectionTwins } from './archive-twins.js';

/** One archive put back by an up migration. */
export interface ConnectionRestored {
  archiveId: number;
  table: string;
  kind: ConnectionArchive['kind'];
  rows: number;
}

/**
 * Puts archived rows back into the tables an up migration re-created, in its transaction, after
 * its transformations: parents before children, archived rows winning over regenerated ones (a
 * regenerated row that holds an archived row's key or unique value is replaced, and, given where
 * the tables stood before the up (`since`, see `connectionRegeneratedSince`), one it made again
 * under a new key takes the archived key first: see `rekeyConnectionTwins`), then each
 * identity or serial sequence moved past the largest id. An archive whose table does not exist
 * (yet) stays for a later up.
 *
 * @example
 * const restored = await restoreArchives(conn, 'public', await pendingArchives(conn, 'public', 7));
 */
export async function restoreArchives(
  conn: DialectConnection,
  schema: string,
  archives: readonly ConnectionArchive[],
  since: RegeneratedSince = new Map(),
): Promise<ConnectionRestored[]> {
  const tables = new Map<string, TableInfo>();
  for (const a of archives) {
    const info = await conn.introspector.table(a.sourceTable);
    if (info) tables.set(a.sourceTable, info);
  }
  const restored: ConnectionRestored[] = [];
  for (const archive of parentsFirst(
    archives.filter((a) => tables.has(a.sourceTable)),
    tables,
  )) {
    const table = tables.get(archive.sourceTable)!;
    // every archived row is in the table afterwards (inserted, or written over a regenerated one, or already there unchanged)
    const written = await restoreOne(conn, schema, archive, table, since);
    const rows = archive.kind === 'columns' ? written : archive.rows;
    await resetSequences(conn, schema, table);
    await markRestored(conn, archive, rows);
    restored.push({ archiveId: archive.id, table: archive.sourceTable, kind: archive.kind, rows });
  }
  return restored;
}

async function restoreOne(conn: DialectConnection, schema: string, archive: ConnectionArchive, table: TableInfo, since: RegeneratedSince): Promise<number> {
  const target = `${q(schema)}.${q(table.name)}`;
  const source = `${ARCHIVE_SCHEMA}.${q(archive.archiveTable)}`;
  const columns = archive.columns.filter((c) => table.columns.some((t) => t.name === c));
  const pk = table.primaryKey.length > 0 && table.primaryKey.every((k) => columns.includes(k)) ? table.primaryKey : [];
  const list = (cols: readonly string[], alias = '') => cols.map((c) => `${alias}${q(c)}`).join(', ');
  // values archived as text (types the schema defines) go back through the column's own type
  const typeOf = new Map(table.columns.map((c) => [c.name, c.type]));
  const cast = (expr: string, column: string) => `CAST(${expr} AS ${typeOf.get(column)!})`;
  const typed = (cols: readonly string[]) => cols.map((c) => cast(q(c), c)).join(', ');
  if (archive.kind === 'columns') {
    const values = columns.filter((c) => !pk.includes(c));
    if (pk.length === 0 || values.length === 0) return 0;
    return conn.execute(
      `UPDATE ${target} AS t SET ${values.map((c) => `${q(c)} = ${cast(`a.${q(c)}`, c)}`).join(', ')} FROM ${source} AS a WHERE ${pk.map((k) => `t.${q(k)} = ${cast(`a.${q(k)}`, k)}`).join(' AND ')}`,
    );
  }
  await rekeyConnectionTwins(conn, schema, archive, table, columns, since);
  // archived rows win: regenerated rows holding one of their unique values go first
  for (const index of table.indexes.filter((i) => i.unique && i.columns.length > 0 && i.columns.every((c) => columns.includes(c)))) {
    const samePk = pk.length > 0 && index.columns.length === pk.length && index.columns.every((c) => pk.includes(c));
    if (samePk) continue;
    const keep = pk.length > 0 ? ` AND (${list(pk)}) NOT IN (SELECT ${typed(pk)} FROM ${source})` : '';
    await conn.execute(`DELETE FROM ${target} WHERE (${list(index.columns)}) IN (SELECT ${typed(index.columns)} FROM ${source})${keep}`);
  }
  const values = columns.filter((c) => !pk.includes(c));
  const conflict =
    pk.length === 0
      ? ''
      : values.length === 0
        ? ` ON CONFLICT (${list(pk)}) DO NOTHING`
        : ` ON CONFLICT (${list(pk)}) DO UPDATE SET ${values.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ')}`;
  return conn.execute(`INSERT INTO ${target} (${list(columns)}) OVERRIDING SYSTEM VALUE SELECT ${typed(columns)} FROM ${source}${conflict}`);
}

/** @internal Moves every identity or serial sequence of the table past its largest value. */
export async function resetSequences(conn: DialectConnection, schema: string, table: TableInfo): Promise<void> {
  const qualified = `${q(schema)}.${q(table.name)}`;
  for (const column of table.columns) {
    const [row] = await conn.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [qualified, column.name]);
    if (!row?.seq) continue;
    await conn.query(`SELECT setval($1, coalesce((SELECT max(${q(column.name)}) FROM ${qualified}), 0) + 1, false)`, [row.seq]);
  }
}

/** Archives ordered so that a table comes after the tables its foreign keys point at. */
function parentsFirst(archives: readonly ConnectionArchive[], tables: ReadonlyMap<string, TableInfo>): ConnectionArchive[] {
  const names = new Set(archives.map((a) => a.sourceTable));
  const placed = new Set<string>();
  const ordered: ConnectionArchive[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (placed.has(name) || path.has(name)) return;
    path.add(name);
    for (const fk of tables.get(name)?.foreignKeys ?? []) if (names.has(fk.referencedTable) && fk.referencedTable !== name) visit(fk.referencedTable, path);
    placed.add(name);
    ordered.push(...archives.filter((a) => a.sourceTable === name));
  };
  for (const a of archives) visit(a.sourceTable, new Set());
  return ordered;
}
