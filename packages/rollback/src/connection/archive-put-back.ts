import { type DialectConnection, MfmigError, type TableInfo, quoteIdentifier as q } from '@mfmig/core';
import { checksumTable } from '../analysis/row-digest.js';
import type { ArchiveEntry } from '../preservation/archive-registry.js';
import { markArchiveRestored } from '../preservation/archive-records.js';
import { ARCHIVE_SCHEMA, markRestored } from './archive-schema.js';
import { openArchive } from './archive-lookup.js';
import { resetSequences } from './archive-restore.js';
import { parentsFirst } from './archive-order.js';
import { currentSchema } from './table-state.js';

/** What {@link putBackArchive} did. */
export interface PutBackResult {
  archiveId: number;
  table: string;
  /** Archived rows inserted: those whose key the table did not hold. */
  inserted: number;
  /** Rows left in the archive: their key is taken by a row with other values. */
  kept: number;
  /** `restored` when nothing is left in the archive (its table is dropped), else `kept`. */
  status: 'restored' | 'kept';
}

/** Options of {@link putBackArchive}. */
export interface PutBackOptions {
  /** How long to wait for a running migration's lock, in ms. Default 10,000. */
  lockTimeoutMs?: number;
}

/** One archive, whichever registry it is in: what the put-back needs. */
interface Archive {
  id: number;
  kind: ArchiveEntry['kind'];
  sourceTable: string;
  /** The archive table, qualified. */
  location: string;
  columns: string[];
  /** Archive-side key columns, and the table-side columns they match (`rowid` for a SQLite table without a key). */
  key: { archive: string[]; table: string[] };
  /** Marks it restored and drops its table. */
  finish(inserted: number): Promise<void>;
  /** Records how many rows it still holds. */
  shrink(kept: number): Promise<void>;
}

/**
 * Puts back by hand, on either dialect, the rows of one archive whose key its table does not hold
 * (a held archive, what a failed attempt's tables held; or a waiting one): never over a row that is
 * there. Afterwards the archive keeps only the rows the table does not hold with the same values;
 * emptied, it is marked restored and dropped. Runs under the run lock, in one transaction: a row
 * that breaks a constraint (a foreign key, NOT NULL) fails it, and nothing is changed. Refused
 * for an archive of dropped columns (the up that re-creates them puts them back), of another
 * database, of a table that does not exist, or with columns the table no longer has.
 *
 * @example
 * const { inserted, kept } = await putBackArchive(conn, 12);
 */
export async function putBackArchive(conn: DialectConnection, id: number, options: PutBackOptions = {}): Promise<PutBackResult> {
  return (await putBackArchives(conn, [id], options))[0]!;
}

/**
 * {@link putBackArchive} for several archives at once, in one transaction under the run lock:
 * parents first (an archive whose table references another's table goes after it), so that the
 * rows of a child table and of the parent rows they reference come back together. One archive
 * that cannot be put back refuses them all, and nothing is changed. Results in the order run.
 *
 * @example
 * const results = await putBackArchives(conn, [14, 13]); // 13 (kb_entries) goes before 14 (kb_tags)
 */
export async function putBackArchives(conn: DialectConnection, ids: readonly number[], options: PutBackOptions = {}): Promise<PutBackResult[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new MfmigError('USAGE', 'Name at least one archive to put back; `mfmig archives` lists them');
  const found: { archive: Archive; table: TableInfo }[] = [];
  for (const id of unique) found.push(await checkedArchive(conn, id));
  const ordered = parentsFirst(found);
  // a row that breaks a constraint fails here, in a transaction rolled back before the lock row is written: nothing changes
  await rehearsed(conn, ordered);
  const label = ordered.map((o) => o.archive.id).join(' ');
  await conn.lock.acquire({ timeoutMs: options.lockTimeoutMs ?? 10_000, command: `mfmig archives --restore ${label}` });
  try {
    return await conn.transaction(async () => {
      const results: PutBackResult[] = [];
      for (const { archive, table } of ordered) results.push(await putBack(conn, archive, table));
      return results;
    });
  } finally {
    await conn.lock.release();
  }
}

/** One archive's rows inserted where their key is free, the archive pruned, and marked restored once empty. */
async function putBack(conn: DialectConnection, archive: Archive, table: TableInfo): Promise<PutBackResult> {
  const inserted = await insertMissing(conn, archive, table);
  if (conn.dialect === 'postgres') await resetSequences(conn, await currentSchema(conn), table);
  await conn.execute(`DELETE FROM ${archive.location} AS a WHERE EXISTS (SELECT 1 FROM ${q(table.name)} AS t WHERE ${sameRow(conn, archive)})`);
  const [left] = await conn.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${archive.location}`);
  const kept = Number(left?.n ?? 0);
  if (kept === 0) await archive.finish(inserted);
  else await archive.shrink(kept);
  return { archiveId: archive.id, table: archive.sourceTable, inserted, kept, status: kept === 0 ? 'restored' : 'kept' };
}

/** The archive and its live table, or why its rows cannot go back. */
async function checkedArchive(conn: DialectConnection, id: number): Promise<{ archive: Archive; table: TableInfo }> {
  const archive = await findArchive(conn, id);
  if (archive.kind === 'columns') {
    throw new MfmigError('USAGE', `Archive ${id} holds dropped columns of ${archive.sourceTable}: the migration that adds them again puts them back`);
  }
  const table = await conn.introspector.table(archive.sourceTable);
  if (!table) throw new MfmigError('USAGE', `Table ${archive.sourceTable} of archive ${id} does not exist; migrate to the version that creates it first`);
  const missing = archive.columns.filter((c) => !table.columns.some((t) => t.name === c));
  if (missing.length > 0) {
    throw new MfmigError(
      'USAGE',
      `Table ${archive.sourceTable} has no column ${missing.join(', ')} of archive ${id}; its values would be lost, so nothing was put back`,
    );
  }
  if (archive.key.table.length === 0)
    throw new MfmigError('USAGE', `Table ${archive.sourceTable} has no primary key: the rows of archive ${id} cannot be matched to its rows`);
  return { archive, table };
}

/** Tries the inserts, in order, in a transaction that is rolled back; a constraint one breaks is the error, named with its archive. */
async function rehearsed(conn: DialectConnection, ordered: readonly { archive: Archive; table: TableInfo }[]): Promise<void> {
  const undo = new Error('rehearsed');
  let current: Archive | undefined;
  try {
    await conn.transaction(async () => {
      for (const { archive, table } of ordered) {
        current = archive;
        await insertMissing(conn, archive, table);
      }
      throw undo;
    });
  } catch (error) {
    if (error === undo) return;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MfmigError('ROLLBACK_FAILED', `The rows of archive ${current?.id} do not fit table ${current?.sourceTable} (${reason}); nothing was put back`);
  }
}

async function insertMissing(conn: DialectConnection, archive: Archive, table: TableInfo): Promise<number> {
  const typeOf = new Map(table.columns.map((c) => [c.name, c.type]));
  // on PostgreSQL values archived as text (types the schema defines) go back through the column's own type
  const value = (column: string) => (conn.dialect === 'postgres' ? `CAST(a.${q(column)} AS ${typeOf.get(column)!})` : `a.${q(column)}`);
  const rowid = archive.key.table[0] === 'rowid';
  const into = [...(rowid ? ['rowid'] : []), ...archive.columns.map(q)].join(', ');
  const from = [...(rowid ? [`a.${q(archive.key.archive[0]!)}`] : []), ...archive.columns.map(value)].join(', ');
  const taken = archive.key.table.map((k, i) => `t.${k === 'rowid' ? 'rowid' : q(k)} = ${rowid ? `a.${q(archive.key.archive[i]!)}` : value(k)}`).join(' AND ');
  const overriding = conn.dialect === 'postgres' ? ' OVERRIDING SYSTEM VALUE' : '';
  return conn.execute(
    `INSERT INTO ${q(table.name)} (${into})${overriding} SELECT ${from} FROM ${archive.location} AS a WHERE NOT EXISTS (SELECT 1 FROM ${q(table.name)} AS t WHERE ${taken})`,
  );
}

/** The table's row has the archived row's key and values (NULLs equal; on PostgreSQL compared as text, as archived). */
function sameRow(conn: DialectConnection, archive: Archive): string {
  const same = (t: string, a: string) => (conn.dialect === 'postgres' ? `t.${t}::text IS NOT DISTINCT FROM a.${a}::text` : `t.${t} IS a.${a}`);
  const values = archive.columns.map((c) => same(q(c), q(c)));
  // a SQLite table without a key: the archived rowid is the row's
  return (archive.key.table[0] === 'rowid' ? [same('rowid', q(archive.key.archive[0]!)), ...values] : values).join(' AND ');
}

async function findArchive(conn: DialectConnection, id: number): Promise<Archive> {
  const found = await openArchive(conn, id);
  if (found.dialect === 'sqlite') {
    const { connection, entry } = found;
    if (found.foreign) throw new MfmigError('USAGE', `Archive ${id} came in with a copy of another database; its rows are not this database's`);
    const rowid = entry.keyKind === 'rowid';
    return {
      id,
      kind: entry.kind,
      sourceTable: entry.sourceTable,
      location: q(entry.archiveTable),
      columns: entry.columns,
      key: rowid ? { archive: ['mfmig_rowid'], table: ['rowid'] } : { archive: entry.keyColumns, table: entry.keyColumns },
      async finish(inserted) {
        await markArchiveRestored(connection, id, inserted, 'put back by hand (mfmig archives --restore)');
        await connection.execute(`DROP TABLE ${q(entry.archiveTable)}`);
      },
      async shrink(kept) {
        const { sha256 } = await checksumTable(
          connection,
          entry.archiveTable,
          rowid ? ['mfmig_rowid', ...entry.columns] : entry.columns,
          rowid ? ['mfmig_rowid'] : entry.keyColumns,
        );
        await connection.execute('UPDATE mfmig_archives SET rows = ?, checksum = ? WHERE id = ?', [kept, sha256, id]);
      },
    };
  }
  const { record } = found;
  return {
    id,
    kind: record.kind,
    sourceTable: record.sourceTable,
    location: `${ARCHIVE_SCHEMA}.${q(record.archiveTable)}`,
    columns: record.columns,
    key: { archive: record.primaryKey, table: record.primaryKey },
    finish: (inserted) => markRestored(conn, record, inserted),
    async shrink(kept) {
      await conn.execute(`UPDATE ${ARCHIVE_SCHEMA}.archives SET rows = $2 WHERE id = $1`, [id, kept]);
    },
  };
}
