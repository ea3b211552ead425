import type { Command } from 'commander';
import { formatCount, isPostgresUrl } from '@mfmig/core';
import { archiveBelongsTo, archiveLineage } from '@mfmig/rollback';
import { postgresArchives } from '../postgres/postgres-archives.js';
import type { CliRuntime } from '../runtime.js';

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

interface ArchivesOptions {
  all: boolean;
}

/** `mfmig archives`: the rows rollbacks kept, where they are and whether an up will put them back. Read-only. */
export function registerArchives(program: Command, cli: CliRuntime): void {
  program
    .command('archives')
    .description('list the rows rollbacks archived: which table, how many, where they are, and whether the next migrate puts them back (read-only)')
    .option('--all', 'also list the archives already put back', false)
    .action(async (options: ArchivesOptions) => {
      const listed = isPostgresUrl(cli.globals.db) ? await postgresArchives(cli) : sqliteArchives(cli);
      const archives = options.all ? listed : listed.filter((a) => a.status !== 'restored');
      cli.out.result({ archives }, () => {
        if (archives.length === 0) {
          cli.out.line(options.all ? 'No archives.' : 'No archives waiting or held.');
          return;
        }
        cli.out.table(
          archives.map((a) => ({ ...a, rows: formatCount(a.rows), location: a.location ?? '' })),
          [
            { key: 'id', label: 'Id', align: 'right' },
            { key: 'version', label: 'Version', align: 'right' },
            { key: 'table', label: 'Table' },
            { key: 'kind', label: 'Kind' },
            { key: 'rows', label: 'Rows', align: 'right' },
            { key: 'status', label: 'Status' },
            { key: 'location', label: 'Archive table' },
            { key: 'createdAt', label: 'Archived at' },
          ],
        );
        const held = archives.filter((a) => a.status === 'held');
        if (held.length > 0) {
          cli.out.line();
          cli.out.line(
            `${held.length} held archive(s): rows a failed attempt's tables held when it was taken back out (its own output, and what the application wrote meanwhile). No migrate puts them back; read them from the archive table.`,
          );
        }
      });
    });
}

/** The archives of a SQLite database, read without writing anything. */
function sqliteArchives(cli: CliRuntime): ArchiveListing[] {
  const framework = cli.openFramework({ mode: 'readonly', loadModules: false });
  const lineage = archiveLineage(framework.context.adapter);
  return framework.rollbackManager.listArchives().map((a) => ({
    id: a.id,
    version: a.version,
    migration: a.migration,
    table: a.sourceTable,
    kind: a.kind,
    rows: a.rows,
    location: a.status === 'restored' ? null : a.archiveTable,
    status: a.status === 'restored' ? 'restored' : !archiveBelongsTo(a, lineage) ? 'foreign' : a.held ? 'held' : 'waiting',
    createdAt: a.createdAt,
  }));
}
