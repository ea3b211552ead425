import { type SqliteConnection, type SqliteIntrospector, messageOf, quoteIdentifier } from '@mfmig/core';
import { type TableInfo, dataColumns, tableShapes } from '../analysis/table-inventory.js';
import { triggerWrites } from '../analysis/trigger-writes.js';
import { type ArchiveEntry, archiveBelongsTo, archiveLineage, restorableArchives } from './archive-registry.js';
import { markArchiveRestored } from './archive-records.js';
import { type RegeneratedSince, rekeyRegeneratedTwins } from './regenerated-twins.js';

/** One archive put back into the table it came from. */
export interface RestoredArchive {
  archiveId: number;
  version: number;
  table: string;
  kind: ArchiveEntry['kind'];
  /** Columns written back (archived columns the table has again). */
  columns: string[];
  rows: number;
  /** Archived columns the table no longer has: their values stay lost. */
  columnsLost: string[];
}

/** What {@link restoreArchives} did: archives restored, and those still waiting (with why). */
export interface RestoreArchivesResult {
  restored: RestoredArchive[];
  waiting: { archiveId: number; version: number; table: string; reason: string }[];
}

const KIND_ORDER: Record<ArchiveEntry['kind'], number> = { table: 0, rows: 1, columns: 2 };
const SAVEPOINT = 'mfmig_restore';

/**
 * Puts archived rows back where the schema allows, after an up migration re-created their
 * tables or columns: archives of versions up to `upToVersion`, whole tables first, then rows,
 * then columns, retried until no more succeed (a child table waits for its parent). A table that
 * the triggers of another archived table write goes after that table, so that the values
 * archived for it are the ones that stay. Archived rows win over rows the up migration made with
 * the same key and, given where the tables stood before the up (`since`, see
 * `regeneratedSince`), over the rows it made again under new keys (see `rekeyRegeneratedTwins`).
 * Each archive is restored whole in a savepoint or not at all; a restored archive is marked in
 * `mfmig_archives` and its table dropped. Archives of another database (see `archiveBelongsTo`)
 * are never restored: they stay waiting. Runs on a `SqliteConnection`: `ctx.connection` in a
 * migration or plugin hook, inside the up's transaction.
 *
 * @example
 * const since = await regeneratedSince(conn, 7); // before the up of version 7
 * const { restored, waiting } = await restoreArchives(conn, 7, since); // after it
 */
export async function restoreArchives(conn: SqliteConnection, upToVersion: number, since: RegeneratedSince = new Map()): Promise<RestoreArchivesResult> {
  const lineage = archiveLineage(conn);
  const due = await restorableArchives(conn, upToVersion);
  const foreign = due.filter((a) => !archiveBelongsTo(a, lineage));
  const own = due.filter((a) => archiveBelongsTo(a, lineage));
  const depth = triggerDepths(conn.introspector, own);
  let pending = own.sort((a, b) => depth(a) - depth(b) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.version - b.version || a.id - b.id);
  const restored: RestoredArchive[] = [];
  const reasons = new Map<number, string>(foreign.map((a) => [a.id, `archived in another database (id ${a.databaseId})`]));
  const checkForeignKeys = !(await conn.foreignKeysEnabled());
  for (let progress = true; progress && pending.length > 0;) {
    progress = false;
    const tables = tableShapes(conn.introspector);
    const waiting: ArchiveEntry[] = [];
    for (const archive of pending) {
      const table = tables.get(archive.sourceTable);
      const outcome = table ? await tryRestore(conn, archive, table, checkForeignKeys, since) : `table ${archive.sourceTable} does not exist`;
      if (typeof outcome === 'string') {
        reasons.set(archive.id, outcome);
        waiting.push(archive);
      } else {
        restored.push(outcome);
        progress = true;
      }
    }
    pending = waiting;
  }
  return {
    restored,
    waiting: [...foreign, ...pending].map((a) => ({ archiveId: a.id, version: a.version, table: a.sourceTable, reason: reasons.get(a.id) ?? 'not tried' })),
  };
}

/**
 * How far down a chain of triggers each archive's table is written: 0 when no other archived
 * table has a trigger that writes it. Restoring a table fires its triggers, so a table they write
 * is restored after it, and its archived values are the ones that stay.
 */
function triggerDepths(catalog: SqliteIntrospector, archives: readonly ArchiveEntry[]): (archive: ArchiveEntry) => number {
  const names = [...new Set(archives.map((a) => a.sourceTable.toLowerCase()))];
  const depth = new Map(names.map((n) => [n, 0]));
  if (names.length > 1) {
    const writesOf = triggerWrites(catalog);
    const writes = names.map((n) => [n, writesOf([n]).map((t) => t.toLowerCase())] as const);
    for (let round = 0, changed = true; changed && round < names.length; round++) {
      changed = false;
      for (const [firing, written] of writes) {
        for (const table of written) {
          if (table === firing || !depth.has(table) || depth.get(table)! > depth.get(firing)!) continue;
          depth.set(table, depth.get(firing)! + 1);
          changed = true;
        }
      }
    }
  }
  return (archive) => depth.get(archive.sourceTable.toLowerCase()) ?? 0;
}

async function tryRestore(
  conn: SqliteConnection,
  archive: ArchiveEntry,
  table: TableInfo,
  checkForeignKeys: boolean,
  since: RegeneratedSince,
): Promise<RestoredArchive | string> {
  const present = new Set(dataColumns(table));
  const columns = archive.columns.filter((c) => present.has(c));
  const columnsLost = archive.columns.filter((c) => !present.has(c));
  const rowid = archive.keyKind === 'rowid';
  if (rowid ? table.withoutRowid : !archive.keyColumns.every((c) => present.has(c)))
    return `table ${table.name} has no longer the key the rows were archived by`;
  const writable = archive.kind === 'columns' ? columns.filter((c) => !archive.keyColumns.includes(c)) : columns;
  if (writable.length === 0) return `table ${table.name} has none of the archived columns`;
  const violationsBefore = checkForeignKeys ? await conn.foreignKeyViolationCount(table.name) : 0;
  await conn.execute(`SAVEPOINT ${SAVEPOINT}`);
  try {
    if (archive.kind !== 'columns') await rekeyRegeneratedTwins(conn, archive, table, columns, since);
    const rows = archive.kind === 'columns' ? await updateColumns(conn, archive, writable) : await upsertRows(conn, archive, columns);
    if (checkForeignKeys && (await conn.foreignKeyViolationCount(table.name)) > violationsBefore) throw new Error('foreign key violations');
    const note = columnsLost.length > 0 ? `columns no longer present: ${columnsLost.join(', ')}` : null;
    await markArchiveRestored(conn, archive.id, rows, note);
    await conn.execute(`DROP TABLE ${quoteIdentifier(archive.archiveTable)}`);
    await conn.execute(`RELEASE ${SAVEPOINT}`);
    return { archiveId: archive.id, version: archive.version, table: table.name, kind: archive.kind, columns: writable, rows, columnsLost };
  } catch (error) {
    await conn.execute(`ROLLBACK TO ${SAVEPOINT}`);
    await conn.execute(`RELEASE ${SAVEPOINT}`);
    return messageOf(error);
  }
}

/** Inserts archived rows; a row whose key exists takes the archived values. */
async function upsertRows(conn: SqliteConnection, archive: ArchiveEntry, columns: string[]): Promise<number> {
  const q = quoteIdentifier;
  const rowid = archive.keyKind === 'rowid';
  const target = rowid ? ['rowid', ...columns] : columns;
  const source = rowid ? ['mfmig_rowid', ...columns] : columns;
  const keys = rowid ? ['rowid'] : archive.keyColumns;
  const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${q(c)} = excluded.${q(c)}`);
  const conflict = updates.length > 0 ? `ON CONFLICT DO UPDATE SET ${updates.join(', ')}` : 'ON CONFLICT DO NOTHING';
  const sql = `INSERT INTO ${q(archive.sourceTable)} (${target.map((c) => (c === 'rowid' ? 'rowid' : q(c))).join(', ')})
    SELECT ${source.map(q).join(', ')} FROM ${q(archive.archiveTable)} WHERE true ${conflict}`;
  return conn.execute(sql);
}

/** Writes archived column values back into the rows with the same key. */
async function updateColumns(conn: SqliteConnection, archive: ArchiveEntry, columns: string[]): Promise<number> {
  const q = quoteIdentifier;
  const match =
    archive.keyKind === 'rowid'
      ? `${q(archive.sourceTable)}.rowid = a.mfmig_rowid`
      : archive.keyColumns.map((c) => `${q(archive.sourceTable)}.${q(c)} = a.${q(c)}`).join(' AND ');
  const sql = `UPDATE ${q(archive.sourceTable)} SET ${columns.map((c) => `${q(c)} = a.${q(c)}`).join(', ')}
    FROM ${q(archive.archiveTable)} AS a WHERE ${match}`;
  return conn.execute(sql);
}
