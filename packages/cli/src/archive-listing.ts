/**
 * One archive as `mfmig archives` lists it on either database. `status`: `waiting` (the next up of
 * its version puts it back), `held` (the rows the down that took a failed attempt back out dropped:
 * never put back by itself), `restored`, or `foreign` (it came in with a copy of another database,
 * and is never put back here).
 */
export interface ArchiveListing {
  id: number;
  version: number;
  migration: string;
  table: string;
  kind: 'table' | 'columns' | 'rows';
  rows: number;
  /** Where the rows are: the archive table (SQLite: in the same file; PostgreSQL: `mfmig_archive.<table>`). */
  location: string | null;
  status: 'waiting' | 'held' | 'restored' | 'foreign';
  createdAt: string;
}

/**
 * One registry row (either dialect's) as the command lists it; `location` is dropped once restored.
 *
 * @example
 * archiveListing(entry, entry.archiveTable, 'waiting');
 */
export function archiveListing(
  a: Pick<ArchiveListing, 'id' | 'version' | 'migration' | 'kind' | 'rows' | 'createdAt'> & { sourceTable: string },
  location: string,
  status: ArchiveListing['status'],
): ArchiveListing {
  const { id, version, migration, kind, rows, createdAt } = a;
  return { id, version, migration, table: a.sourceTable, kind, rows, location: status === 'restored' ? null : location, status, createdAt };
}
