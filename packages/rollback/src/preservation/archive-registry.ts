import { type SqliteConnection, identityLineage, readDatabaseIdentity } from '@mfmig/core';

/**
 * The table that lists every archive of rows a down migration dropped.
 *
 * @example
 * await conn.query(`SELECT archive_table, rows FROM ${ARCHIVE_REGISTRY_TABLE} WHERE status = 'archived'`);
 */
export const ARCHIVE_REGISTRY_TABLE = 'mfmig_archives';

/**
 * Archive tables are named `mfmig_archive_<version>_<table>` (plus `_<n>` when taken).
 *
 * @example
 * tables.filter((t) => t.startsWith(ARCHIVE_TABLE_PREFIX));
 */
export const ARCHIVE_TABLE_PREFIX = 'mfmig_archive_';

/** One row of `mfmig_archives`. */
export interface ArchiveEntry {
  id: number;
  version: number;
  migration: string;
  runId: string | null;
  kind: 'table' | 'columns' | 'rows';
  sourceTable: string;
  archiveTable: string;
  /** Data columns held (for `columns`: the dropped columns). */
  columns: string[];
  keyKind: 'pk' | 'rowid';
  keyColumns: string[];
  rows: number;
  /** sha256 over the archived columns, rows ordered by key (see `checksumTable`). */
  checksum: string;
  status: 'archived' | 'restored';
  createdAt: string;
  restoredAt: string | null;
  restoredRows: number | null;
  note: string | null;
  /** The id of the database the rows were archived in (null for archives made before identities existed). */
  databaseId: string | null;
  /**
   * Kept, never put back by an up: the rows the down that took a failed attempt back out dropped
   * (that attempt's own output, and what the application wrote into its tables meanwhile).
   */
  held: boolean;
  /** When its rows were deleted for good by hand (`mfmig archives --discard`); its status is then `restored`, with 0 rows restored. */
  discardedAt: string | null;
}

/**
 * True when an archive belongs to the database it is in: archived under its id, under the id of
 * a database it was copied from (the rows were its own then), or before identities existed.
 * An archive that came in with a copy of another database restored on purpose is not.
 *
 * @example
 * const lineage = archiveLineage(conn);
 * (await listArchives(conn, 'archived')).filter((a) => archiveBelongsTo(a, lineage));
 */
export function archiveBelongsTo(archive: ArchiveEntry, lineage: string[]): boolean {
  return archive.databaseId === null || lineage.includes(archive.databaseId);
}

/**
 * The ids whose archives belong to the database on `conn` (see {@link archiveBelongsTo}), from
 * its identity row. Never writes.
 *
 * @example
 * archiveLineage(ctx.connection); // ['c0ffee…', 'beef…']: its own id, then those it was copied from
 */
export function archiveLineage(conn: SqliteConnection): string[] {
  return identityLineage(readDatabaseIdentity(conn));
}

/**
 * Archives recorded in a database, oldest first; `status` filters. Held archives (see
 * `ArchiveEntry.held`) are listed with status `archived`: an up skips them, see
 * {@link restorableArchives}.
 *
 * @example
 * (await listArchives(conn, 'archived')).map((a) => a.archiveTable);
 */
export async function listArchives(conn: SqliteConnection, status?: ArchiveEntry['status']): Promise<ArchiveEntry[]> {
  if (!(await conn.hasTable(ARCHIVE_REGISTRY_TABLE))) return [];
  const where = status ? ' WHERE status = ?' : '';
  return (await conn.query<Record<string, unknown>>(`SELECT * FROM mfmig_archives${where} ORDER BY id`, status ? [status] : [])).map(toEntry);
}

/**
 * The archives an up of `upToVersion` or below puts back: waiting, not held, oldest first.
 *
 * @example
 * (await restorableArchives(conn, 7)).map((a) => a.sourceTable);
 */
export async function restorableArchives(conn: SqliteConnection, upToVersion: number): Promise<ArchiveEntry[]> {
  return (await listArchives(conn, 'archived')).filter((a) => !a.held && a.version <= upToVersion);
}

function toEntry(row: Record<string, unknown>): ArchiveEntry {
  return {
    id: Number(row.id),
    version: Number(row.version),
    migration: String(row.migration),
    runId: row.run_id == null ? null : String(row.run_id),
    kind: row.kind as ArchiveEntry['kind'],
    sourceTable: String(row.source_table),
    archiveTable: String(row.archive_table),
    columns: JSON.parse(String(row.columns)) as string[],
    keyKind: row.key_kind as ArchiveEntry['keyKind'],
    keyColumns: JSON.parse(String(row.key_columns)) as string[],
    rows: Number(row.rows),
    checksum: String(row.checksum),
    status: row.status as ArchiveEntry['status'],
    createdAt: String(row.created_at),
    restoredAt: row.restored_at == null ? null : String(row.restored_at),
    restoredRows: row.restored_rows == null ? null : Number(row.restored_rows),
    note: row.note == null ? null : String(row.note),
    databaseId: row.database_id == null ? null : String(row.database_id),
    held: Number(row.held ?? 0) === 1,
    discardedAt: row.discarded_at == null ? null : String(row.discarded_at),
  };
}
