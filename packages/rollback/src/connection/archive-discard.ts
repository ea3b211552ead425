import { type DialectConnection, MfmigError, isSqliteConnection, quoteIdentifier as q } from '@mfmig/core';
import { ensureArchiveRegistry, markArchiveDiscarded } from '../preservation/archive-records.js';
import { openArchive } from './archive-lookup.js';
import { ARCHIVE_SCHEMA, ensureDiscardColumn, markDiscarded } from './archive-schema.js';

/**
 * An archive whose rows a discard deletes for good. `status` is what `mfmig archives` lists:
 * `waiting` (the next up of its version would put the rows back), `held` (no up ever does), or
 * `foreign` (it came in with a copy of another database, SQLite only).
 */
export interface DiscardTarget {
  archiveId: number;
  version: number;
  table: string;
  kind: 'table' | 'columns' | 'rows';
  rows: number;
  status: 'waiting' | 'held' | 'foreign';
  /** The archive table: SQLite, in the database file; PostgreSQL, `mfmig_archive.<table>`. */
  location: string;
}

/** Options of {@link discardArchiveRows}. */
export interface DiscardOptions {
  /** How long to wait for a running migration's lock, in ms. Default 10,000. */
  lockTimeoutMs?: number;
}

/** One archive to discard, and how its table is dropped and its registry row marked. */
interface Discardable {
  target: DiscardTarget;
  drop(): Promise<void>;
}

const NOTE = 'discarded by hand (mfmig archives --discard): its rows were deleted';

/** Archive `id` (see `openArchive`), with how its table is dropped and its registry row marked. */
async function discardable(conn: DialectConnection, id: number): Promise<Discardable> {
  const found = await openArchive(conn, id);
  if (found.dialect === 'sqlite') {
    const { connection, entry } = found;
    const { version, sourceTable: table, kind, rows, archiveTable } = entry;
    const status = found.foreign ? 'foreign' : entry.held ? 'held' : 'waiting';
    return {
      target: { archiveId: id, version, table, kind, rows, status, location: archiveTable },
      async drop() {
        await connection.execute(`DROP TABLE IF EXISTS ${q(archiveTable)}`);
        await markArchiveDiscarded(connection, id, `${NOTE} (${rows} row(s))`);
      },
    };
  }
  const { record } = found;
  const { version, sourceTable: table, kind, rows } = record;
  return {
    target: { archiveId: id, version, table, kind, rows, status: record.held ? 'held' : 'waiting', location: `${ARCHIVE_SCHEMA}.${record.archiveTable}` },
    async drop() {
      await conn.execute(`DROP TABLE IF EXISTS ${ARCHIVE_SCHEMA}.${q(record.archiveTable)}`);
      await markDiscarded(conn, id);
    },
  };
}

/**
 * What a discard of archives `ids` would delete, read without writing anything: each one is this
 * database's (SQLite: or came in with a copy of another database) and not restored yet, or the
 * call is refused with `USAGE`. For the question a caller asks before {@link discardArchiveRows}.
 *
 * @example
 * const targets = await archivesToDiscard(conn, [12]);
 * console.log(`${targets[0].rows} row(s) of ${targets[0].table} will be deleted for good`);
 */
export async function archivesToDiscard(conn: DialectConnection, ids: readonly number[]): Promise<DiscardTarget[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new MfmigError('USAGE', 'Name at least one archive to discard; `mfmig archives` lists them');
  const targets: DiscardTarget[] = [];
  for (const id of unique) targets.push((await discardable(conn, id)).target);
  return targets;
}

/**
 * Deletes for good the rows archives `ids` hold: rows a rollback kept (a waiting archive, whose
 * rows the next up would have put back), rows a failed attempt's tables held (a held archive), or
 * the archives of another database that came in with a copy of it (SQLite). Each archive's table
 * is dropped and its registry row kept, marked discarded (restored with 0 rows, with when), so
 * that `mfmig archives --all` still shows what was there and no up looks for it again. Runs under
 * the run lock, in one transaction: one archive that is unknown or already restored refuses them
 * all, and nothing is changed. Results in the order given.
 *
 * @example
 * const [gone] = await discardArchiveRows(conn, [12]); // { archiveId: 12, table: 'kb_tags', rows: 340, status: 'held', ... }
 */
export async function discardArchiveRows(conn: DialectConnection, ids: readonly number[], options: DiscardOptions = {}): Promise<DiscardTarget[]> {
  await archivesToDiscard(conn, ids);
  const unique = [...new Set(ids)];
  await conn.lock.acquire({ timeoutMs: options.lockTimeoutMs ?? 10_000, command: `mfmig archives --discard ${unique.join(' ')}` });
  try {
    return await conn.transaction(async () => {
      // read again under the lock: a migrate that ran meanwhile may have put one back
      const found: Discardable[] = [];
      for (const id of unique) found.push(await discardable(conn, id));
      // an older registry gains `discarded_at` once, before the first mark
      if (isSqliteConnection(conn)) await ensureArchiveRegistry(conn);
      else await ensureDiscardColumn(conn);
      for (const archive of found) await archive.drop();
      return found.map((a) => a.target);
    });
  } finally {
    await conn.lock.release();
  }
}
