import type { SqliteConnection } from '@mfmig/core';
import { ARCHIVE_REGISTRY_TABLE, type ArchiveEntry } from './archive-registry.js';

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

/**
 * Creates the registry when missing, or adds `database_id`, `held` and `discarded_at` to an older
 * one (inside the caller's transaction).
 *
 * @example
 * await conn.transaction(async () => { await ensureArchiveRegistry(conn); await recordArchive(conn, entry); });
 */
export async function ensureArchiveRegistry(conn: SqliteConnection): Promise<void> {
  await conn.execute(CREATE_SQL);
  const columns = (await conn.introspector.columns(ARCHIVE_REGISTRY_TABLE)).map((c) => c.name);
  if (!columns.includes('database_id')) await conn.execute(`ALTER TABLE ${ARCHIVE_REGISTRY_TABLE} ADD COLUMN database_id TEXT`);
  if (!columns.includes('held')) await conn.execute(`ALTER TABLE ${ARCHIVE_REGISTRY_TABLE} ADD COLUMN held INTEGER NOT NULL DEFAULT 0`);
  if (!columns.includes('discarded_at')) await conn.execute(`ALTER TABLE ${ARCHIVE_REGISTRY_TABLE} ADD COLUMN discarded_at TEXT`);
}

/**
 * Records a new archive in the registry ({@link ensureArchiveRegistry} made it); returns its id.
 *
 * @example
 * const id = await recordArchive(conn, { version: 7, migration: '0007_add_kb_code_links', sourceTable: 'kb_code_links', ... });
 */
export async function recordArchive(
  conn: SqliteConnection,
  entry: Omit<ArchiveEntry, 'id' | 'status' | 'restoredAt' | 'restoredRows' | 'note' | 'discardedAt'>,
): Promise<number> {
  const [row] = await conn.query<{ id: unknown }>(
    `INSERT INTO mfmig_archives (version, migration, run_id, kind, source_table, archive_table, columns, key_kind, key_columns, rows, checksum, created_at, database_id, held)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
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
  return Number(row!.id);
}

/**
 * Marks an archive discarded: its rows were deleted for good by hand (its table is dropped by the
 * caller). It reads as restored with 0 rows, so that no up ever looks for it again, and keeps
 * when and why in `discarded_at` and `note`. The registry must have `discarded_at`
 * ({@link ensureArchiveRegistry}).
 *
 * @example
 * await markArchiveDiscarded(conn, 12, 'discarded by hand');
 */
export async function markArchiveDiscarded(conn: SqliteConnection, id: number, note: string): Promise<void> {
  const now = new Date().toISOString();
  await conn.execute('UPDATE mfmig_archives SET status = ?, restored_at = ?, restored_rows = 0, note = ?, discarded_at = ? WHERE id = ?', [
    'restored',
    now,
    note,
    now,
    id,
  ]);
}

/**
 * Marks an archive restored: its rows are back (its table is dropped by the caller).
 *
 * @example
 * await markArchiveRestored(conn, 12, 40, null);
 */
export async function markArchiveRestored(conn: SqliteConnection, id: number, restoredRows: number, note: string | null): Promise<void> {
  await conn.execute('UPDATE mfmig_archives SET status = ?, restored_at = ?, restored_rows = ?, note = ? WHERE id = ?', [
    'restored',
    new Date().toISOString(),
    restoredRows,
    note,
    id,
  ]);
}
