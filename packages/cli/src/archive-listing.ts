import type { MigrationFramework } from '@mfmig/framework';
import { archiveBelongsTo } from '@mfmig/rollback';
import type { Output } from './output.js';

/**
 * One archive as `mfmig archives` lists it on either database. `status`: `waiting` (the next up of
 * its version puts it back), `held` (the rows the down that took a failed attempt back out dropped:
 * never put back by itself), `restored`, `discarded` (its rows were deleted for good with
 * `--discard`), or `foreign` (it came in with a copy of another database, and is never put back
 * here).
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
  status: 'waiting' | 'held' | 'restored' | 'discarded' | 'foreign';
  createdAt: string;
}

/**
 * One registry row (either dialect's) as the command lists it; `location` is dropped once restored or discarded.
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
  return {
    id,
    version,
    migration,
    table: a.sourceTable,
    kind,
    rows,
    location: status === 'restored' || status === 'discarded' ? null : location,
    status,
    createdAt,
  };
}

/**
 * The archives of the framework's SQLite database, read through its connection without writing anything.
 *
 * @example
 * const listed = await frameworkArchives(cli.openFramework({ mode: 'readonly', loadModules: false }));
 */
export async function frameworkArchives(framework: MigrationFramework): Promise<ArchiveListing[]> {
  const lineage = framework.rollbackManager.archiveLineage();
  return (await framework.rollbackManager.listArchives()).map((a) =>
    archiveListing(
      a,
      a.archiveTable,
      a.discardedAt !== null ? 'discarded' : a.status === 'restored' ? 'restored' : !archiveBelongsTo(a, lineage) ? 'foreign' : a.held ? 'held' : 'waiting',
    ),
  );
}

/** How many archives wait for the next migrate, and how many are held: what `status` shows. */
export interface ArchiveCounts {
  waiting: number;
  held: number;
}

/**
 * Counts the archives that are this database's and not restored.
 *
 * @example
 * archiveCounts(await frameworkArchives(framework)); // { waiting: 12, held: 0 }
 */
export function archiveCounts(listed: readonly ArchiveListing[]): ArchiveCounts {
  return { waiting: listed.filter((a) => a.status === 'waiting').length, held: listed.filter((a) => a.status === 'held').length };
}

/** The `Archives:` line of `status`, when any archive waits or is held. */
export function renderArchiveCounts(out: Output, counts: ArchiveCounts): void {
  if (counts.waiting + counts.held === 0) return;
  const parts = [
    ...(counts.waiting > 0 ? [`${counts.waiting} waiting (the next migrate of their versions puts them back)`] : []),
    ...(counts.held > 0 ? [`${counts.held} held (rows a failed attempt's tables held; no migrate puts them back)`] : []),
  ];
  out.line(`Archives:  ${parts.join(', ')}; \`mfmig archives\` lists them`);
}
