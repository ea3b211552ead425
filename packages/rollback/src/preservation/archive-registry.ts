import { type DatabaseAdapter, identityLineage, readDatabaseIdentity } from '@mfmig/core';

/**
 * The table that lists every archive of rows a down migration dropped.
 *
 * @example
 * adapter.all(`SELECT archive_table, rows FROM ${ARCHIVE_REGISTRY_TABLE} WHERE status = 'archived'`);
 */
export const ARCHIVE_REGISTRY_TABLE = 'mfmig_archives';

/**
 * Archive tables are named `mfmig_archive_<version>_<table>` (plus `_<n>` when taken).
 *
 * @example
 * tables.filter((t) => t.startsWith(ARCHIVE_TABLE_PREFIX));
 */
export const ARCHIVE_TABLE_PREFIX = 'mfmig_archive_';

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS mfmig_archives (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL,
  migration TEXT NOT NULL,
  run_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('table', 'columns', 'rows')),
  source_table TEXT NOT NULL,
  archive_table TEXT NOT NULL UNIQUE,
  columns TEXT NOT NULL,
  key_kind TEXT NOT NULL CHECK (key_kind IN ('pk', 'rowid')),
  key_columns TEXT NOT NULL,
  rows INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'archived' CHECK (status IN ('archived', 'restored')),
  created_at TEXT NOT NULL,
  restored_at TEXT,
  restored_rows INTEGER,
  note TEXT,
  database_id TEXT,
  held INTEGER NOT NULL DEFAULT 0
)`;

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

/** Creates the registry when missing, or adds `database_id`, `held` and `discarded_at` to an older one (inside the caller's transaction). */
export function ensureArchiveRegistry(adapter: DatabaseAdapter): void {
  adapter.run(CREATE_SQL);
  const columns = adapter.columnNames(ARCHIVE_REGISTRY_TABLE);
  if (!columns.includes('database_id')) adapter.run(`ALTER TABLE ${ARCHIVE_REGISTRY_TABLE} ADD COLUMN database_id TEXT`);
  if (!columns.includes('held')) adapter.run(`ALTER TABLE ${ARCHIVE_REGISTRY_TABLE} ADD COLUMN held INTEGER NOT NULL DEFAULT 0`);
  if (!columns.includes('discarded_at')) adapter.run(`ALTER TABLE ${ARCHIVE_REGISTRY_TABLE} ADD COLUMN discarded_at TEXT`);
}

/**
 * True when an archive belongs to the database it is in: archived under its id, under the id of
 * a database it was copied from (the rows were its own then), or before identities existed.
 * An archive that came in with a copy of another database restored on purpose is not.
 *
 * @example
 * const lineage = identityLineage(readDatabaseIdentity(adapter));
 * listArchives(adapter, 'archived').filter((a) => archiveBelongsTo(a, lineage));
 */
export function archiveBelongsTo(archive: ArchiveEntry, lineage: string[]): boolean {
  return archive.databaseId === null || lineage.includes(archive.databaseId);
}

/** The ids whose archives belong to the database (see {@link archiveBelongsTo}). Never writes. */
export function archiveLineage(adapter: DatabaseAdapter): string[] {
  return identityLineage(readDatabaseIdentity(adapter));
}

/**
 * Archives recorded in a database, oldest first; `status` filters. Held archives (see
 * `ArchiveEntry.held`) are listed with status `archived`: an up skips them, see
 * {@link restorableArchives}.
 *
 * @example
 * listArchives(adapter, 'archived').map((a) => a.archiveTable);
 */
export function listArchives(adapter: DatabaseAdapter, status?: ArchiveEntry['status']): ArchiveEntry[] {
  if (!adapter.tableExists(ARCHIVE_REGISTRY_TABLE)) return [];
  const where = status ? ' WHERE status = ?' : '';
  return adapter.all<Record<string, unknown>>(`SELECT * FROM mfmig_archives${where} ORDER BY id`, status ? [status] : []).map(toEntry);
}

/**
 * The archives an up of `upToVersion` or below puts back: waiting, not held, oldest first.
 *
 * @example
 * restorableArchives(adapter, 7).map((a) => a.sourceTable);
 */
export function restorableArchives(adapter: DatabaseAdapter, upToVersion: number): ArchiveEntry[] {
  return listArchives(adapter, 'archived').filter((a) => !a.held && a.version <= upToVersion);
}

/** Records a new archive; returns its id. */
export function recordArchive(
  adapter: DatabaseAdapter,
  entry: Omit<ArchiveEntry, 'id' | 'status' | 'restoredAt' | 'restoredRows' | 'note' | 'discardedAt'>,
): number {
  const result = adapter.run(
    `INSERT INTO mfmig_archives (version, migration, run_id, kind, source_table, archive_table, columns, key_kind, key_columns, rows, checksum, created_at, database_id, held)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      entry.version,
      entry.migration,
      entry.runId,
      entry.kind,
      entry.sourceTable,
      entry.archiveTable,
      JSON.stringify(entry.columns),
      entry.keyKind,
      JSON.stringify(entry.keyColumns),
      entry.rows,
      entry.checksum,
      entry.createdAt,
      entry.databaseId,
      entry.held ? 1 : 0,
    ],
  );
  return Number(result.lastInsertRowid);
}

/** Marks an archive restored (its table is dropped by the caller). */
export function markArchiveRestored(adapter: DatabaseAdapter, id: number, restoredRows: number, note: string | null): void {
  adapter.run('UPDATE mfmig_archives SET status = ?, restored_at = ?, restored_rows = ?, note = ? WHERE id = ?', [
    'restored',
    new Date().toISOString(),
    restoredRows,
    note,
    id,
  ]);
}

/**
 * Marks an archive discarded: its rows were deleted for good by hand (its table is dropped by the
 * caller). It reads as restored with 0 rows, so that no up ever looks for it again, and keeps
 * when and why in `discarded_at` and `note`. The registry must have `discarded_at`
 * ({@link ensureArchiveRegistry}).
 */
export function markArchiveDiscarded(adapter: DatabaseAdapter, id: number, note: string): void {
  const now = new Date().toISOString();
  adapter.run('UPDATE mfmig_archives SET status = ?, restored_at = ?, restored_rows = 0, note = ?, discarded_at = ? WHERE id = ?', [
    'restored',
    now,
    note,
    now,
    id,
  ]);
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
