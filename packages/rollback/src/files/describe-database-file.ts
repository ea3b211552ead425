import { IDENTITY_TABLE, type MigrationSet, type SqliteConnection, computeStatus, openSqliteFile, regularFileProblem } from '@mfmig/core';
import type { HistoryEntry } from '@mfmig/core';

/** What can be read from a database file without migrating it. */
export interface DatabaseFileState {
  readable: boolean;
  version: number;
  milestone: number;
  appliedVersions: number[];
  /** Applied versions with their checksums and the runs that applied them. */
  history: Pick<HistoryEntry, 'version' | 'checksum' | 'status' | 'runId' | 'appliedAt'>[];
  journalMode: string;
  pageSize: number;
  pageCount: number;
  /** The id stored in the file's `mfmig_identity` row (null when it has none). */
  identityId: string | null;
  error: string | null;
}

/**
 * Reads the applied versions (and the stored identity) of a database file through a read-only
 * connection on the async boundary (`openSqliteFile`). A file that cannot be read gives `readable: false` and the reason, never an
 * exception; one that is not a regular file (a FIFO, a device) is not opened at all.
 *
 * @example
 * (await describeDatabaseFile('./backups/x.db')).version; // 7
 */
export async function describeDatabaseFile(path: string, migrations?: MigrationSet): Promise<DatabaseFileState> {
  const empty: DatabaseFileState = {
    readable: false,
    version: 0,
    milestone: 0,
    appliedVersions: [],
    history: [],
    journalMode: 'unknown',
    pageSize: 0,
    pageCount: 0,
    identityId: null,
    error: null,
  };
  const notRegular = regularFileProblem(path, { followSymlinks: true });
  if (notRegular !== null) return { ...empty, error: `${path} ${notRegular}` };
  let db: SqliteConnection | undefined;
  try {
    db = await openSqliteFile(path, { readonly: true });
    const rows = (await db.hasTable('mfmig_history'))
      ? await db.query(
          'SELECT version, checksum, status, run_id, applied_at, name, mvp, duration_ms, applied_by, schema_hash FROM mfmig_history ORDER BY version',
        )
      : [];
    const [identity] = (await db.hasTable(IDENTITY_TABLE)) ? await db.query<{ id: string }>(`SELECT id FROM ${IDENTITY_TABLE} LIMIT 1`) : [];
    const history: HistoryEntry[] = rows.map((r) => ({
      version: Number(r.version),
      name: String(r.name),
      mvp: Number(r.mvp),
      checksum: String(r.checksum),
      status: r.status === 'partial' ? 'partial' : 'applied',
      appliedAt: String(r.applied_at),
      durationMs: Number(r.duration_ms),
      appliedBy: String(r.applied_by),
      schemaHash: r.schema_hash == null ? null : String(r.schema_hash),
      runId: r.run_id == null ? null : String(r.run_id),
    }));
    const storage = await db.introspector.storage();
    return {
      readable: true,
      version: history.reduce((max, h) => Math.max(max, h.version), 0),
      milestone: migrations ? computeStatus(migrations, history).currentMvp : 0,
      appliedVersions: history.map((h) => h.version),
      history: history.map(({ version, checksum, status, runId, appliedAt }) => ({ version, checksum, status, runId, appliedAt })),
      journalMode: await db.journalMode(),
      pageSize: storage.pageSize,
      pageCount: storage.pageCount,
      identityId: identity?.id == null ? null : String(identity.id),
      error: null,
    };
  } catch (error) {
    return { ...empty, error: (error as Error).message };
  } finally {
    try {
      await db?.close();
    } catch {
      // nothing to release on a file that never opened
    }
  }
}
