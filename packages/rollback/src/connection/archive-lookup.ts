import { type DialectConnection, MfmigError, type SqliteConnection, isSqliteConnection } from '@mfmig/core';
import { type ArchiveEntry, archiveBelongsTo, archiveLineage, listArchives } from '../preservation/archive-registry.js';
import { type ArchiveRecord, archiveHistory } from './archive-schema.js';
import { currentSchema } from './table-state.js';

/**
 * An archive not restored yet, as its dialect's registry holds it: on SQLite the entry, and
 * whether it came in with a copy of another database (`foreign`), with the connection it was
 * read on; on PostgreSQL the record of the connection's schema.
 */
export type OpenArchive =
  { dialect: 'sqlite'; connection: SqliteConnection; entry: ArchiveEntry; foreign: boolean } | { dialect: 'postgres'; record: ArchiveRecord };

/**
 * Archive `id` of this database (SQLite) or of the connection's schema (PostgreSQL) while it is
 * still waiting or held, or `USAGE` naming it: what a put-back and a discard both start from.
 *
 * @example
 * const found = await openArchive(conn, 12);
 * if (found.dialect === 'sqlite' && found.foreign) throw new Error('not this database's rows');
 */
export async function openArchive(conn: DialectConnection, id: number): Promise<OpenArchive> {
  const unknown = () => new MfmigError('USAGE', `No archive ${id} waiting or held in this database; \`mfmig archives\` lists them`);
  if (isSqliteConnection(conn)) {
    const entry = (await listArchives(conn)).find((a) => a.id === id);
    if (!entry || entry.status !== 'archived') throw unknown();
    return { dialect: 'sqlite', connection: conn, entry, foreign: !archiveBelongsTo(entry, archiveLineage(conn)) };
  }
  const record = (await archiveHistory(conn, await currentSchema(conn))).find((a) => a.id === id);
  if (!record || record.restored) throw unknown();
  return { dialect: 'postgres', record };
}
