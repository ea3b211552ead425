import type { Command } from 'commander';
import { MfmigError, formatCount, isPostgresUrl } from '@mfmig/core';
import { type PutBackResult, putBackArchives } from '@mfmig/rollback';
import { discard } from './archives-discard.js';
import { open } from '../postgres/postgres-commands.js';
import { postgresArchives } from '../postgres/postgres-archives.js';
import { frameworkArchives } from '../archive-listing.js';
import type { CliRuntime } from '../runtime.js';
import { wholeNumber } from './parse-options.js';

interface ArchivesOptions {
  all: boolean;
  restore?: number[];
  discard?: number[];
  lockTimeout: number;
}

/**
 * `mfmig archives`: the rows rollbacks kept, where they are and whether an up will put them back
 * (read-only); `--restore <id...>` puts back the rows of archives whose key is free, parents first;
 * `--discard <id...>` deletes the rows of archives for good, after a question.
 */
export function registerArchives(program: Command, cli: CliRuntime): void {
  program
    .command('archives')
    .description(
      'list the rows rollbacks archived: which table, how many, where they are, and whether the next migrate puts them back (read-only); --restore puts archives back',
    )
    .option('--all', 'also list the archives already put back', false)
    .option(
      '--restore <id...>',
      'put back the rows of these archives whose key the table does not hold (never over a row that is there), parents first, in one transaction',
      (value: string, previous: number[] = []) => [...previous, wholeNumber(value)],
    )
    .option(
      '--discard <id...>',
      "delete for good the rows these archives hold (waiting, held, or another database's), after a question (--yes without a terminal); the next migrate no longer puts them back",
      (value: string, previous: number[] = []) => [...previous, wholeNumber(value)],
    )
    .option('--lock-timeout <ms>', 'wait this long for another running mfmig before giving up (--restore, --discard)', wholeNumber, 10_000)
    .action(async (options: ArchivesOptions) => {
      if (options.restore !== undefined && options.discard !== undefined) {
        throw new MfmigError('USAGE', 'Give --restore or --discard, not both: put some archives back, then discard others');
      }
      if (options.restore !== undefined) return restore(cli, options.restore, options.lockTimeout);
      if (options.discard !== undefined) return discard(cli, options.discard, options.lockTimeout);
      const listed = isPostgresUrl(cli.globals.db)
        ? await postgresArchives(cli)
        : await frameworkArchives(cli.openFramework({ mode: 'readonly', loadModules: false }));
      const archives = options.all ? listed : listed.filter((a) => a.status !== 'restored' && a.status !== 'discarded');
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
            `${held.length} held archive(s): rows a failed attempt's tables held when it was taken back out (its own output, and what the application wrote meanwhile). No migrate puts them back: mfmig archives --restore <id> puts back their rows whose key is free, --discard <id> deletes them for good, or read them from the archive table.`,
          );
        }
      });
    });
}

/** `mfmig archives --restore <id...>`: the rows of archives whose key is free go back into their tables, parents first, in one transaction. */
async function restore(cli: CliRuntime, ids: number[], lockTimeoutMs: number): Promise<void> {
  let results: PutBackResult[];
  if (isPostgresUrl(cli.globals.db)) {
    const conn = await open(cli, { createSchema: false });
    try {
      results = await putBackArchives(conn, ids, { lockTimeoutMs });
    } finally {
      await conn.close();
    }
  } else {
    const framework = cli.openFramework({ loadModules: false });
    results = await putBackArchives(framework.context.connection, ids, { lockTimeoutMs });
  }
  cli.out.result({ restored: results }, () => {
    for (const result of results) {
      const rest =
        result.kept > 0
          ? `${formatCount(result.kept)} row(s) stay in it: the table holds other values under their keys`
          : 'nothing is left in it; it is marked restored';
      cli.out.line(`Archive ${result.archiveId}: put back ${formatCount(result.inserted)} row(s) of ${result.table} whose key was free; ${rest}.`);
    }
  });
}
