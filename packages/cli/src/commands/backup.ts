import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MfmigError, isPostgresUrl, readDatabaseIdentityAt } from '@mfmig/core';
import { ownerOf, removeBackup, scanBackups } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { ProgressReporter, formatMs } from '../progress-reporter.js';
import { noteSkippedEntries, renderRemovedByRetention } from '../render-backups.js';
import { withRollbackService } from './rollback-service.js';
import { milestoneText, milestoneSuffix } from '../milestone-text.js';
import { backupPostgres } from '../postgres/postgres-backup.js';

interface BackupOptions {
  label?: string;
  verify: boolean;
  list: boolean;
  all: boolean;
  remove?: string;
}

/** `mfmig backup [--label <text>] [--no-verify] [--list [--all]] [--remove <backup>]`. */
export function registerBackup(program: Command, cli: CliRuntime): void {
  program
    .command('backup')
    .description('back up the database (online backup API, manifest with sha256 and integrity), list the backups, or remove one')
    .option('--label <text>', 'a note stored in the manifest; a labelled backup is kept until removed with --remove')
    .option('--no-verify', 'skip the integrity check of the copy')
    .option('--list', "list the database's backups (reads the manifests; the database is only read)", false)
    .option('--all', 'with --list: the backups of every database in the backup folder', false)
    .option('--remove <backup>', "remove one of this database's backups (id, or the path of its .db or .json)")
    .action(async (options: BackupOptions) => {
      if (isPostgresUrl(cli.globals.db)) return backupPostgres(cli, options);
      if ([options.list, options.remove !== undefined].filter(Boolean).length > 1) {
        throw new MfmigError('USAGE', 'Give one of --list or --remove <backup>, not both');
      }
      if (options.list) return listBackupsCommand(cli, options.all);
      if (options.remove !== undefined) return removeBackupCommand(cli, options.remove);
      const backup = await withRollbackService(cli, { loadModules: false }, async (manager, framework) => {
        const detach = new ProgressReporter(cli.out).attach(framework.context.events);
        try {
          return await manager.createBackup({ label: options.label, verify: options.verify ? 'full' : false });
        } finally {
          detach();
        }
      });
      cli.out.result(backup, () => {
        cli.out.line(`Backup ${backup.id}`);
        cli.out.line(`  file:      ${backup.path}`);
        cli.out.line(
          `  version:   ${backup.version}${milestoneSuffix(backup.milestone)}, ${(backup.sizeBytes / 1e6).toFixed(1)} MB, sha256 ${backup.sha256.slice(0, 16)}…`,
        );
        cli.out.line(
          `  integrity: ${backup.integrity.checked ? backup.integrity.result : 'not checked'}; copy ${formatMs(backup.timings.copyMs)}, verification ${formatMs(backup.timings.hashMs + (backup.timings.verifyMs ?? 0))}`,
        );
        if (backup.label) cli.out.line(`  label:     ${backup.label} (kept until \`mfmig backup --remove ${backup.id}\`)`);
        renderRemovedByRetention(cli.out, backup.removedByRetention);
      });
    });
}

function listBackupsCommand(cli: CliRuntime, all: boolean): void {
  const database = all ? undefined : readDatabaseIdentityAt(resolve(cli.globals.db));
  const { backups, skipped } = scanBackups(cli.globals.backups, { includeCheckpoints: true, database });
  noteSkippedEntries(cli.out, skipped);
  cli.out.result(backups, () => {
    if (backups.length === 0) cli.out.line(`No backups${database ? ` of ${database.path}` : ''} in ${cli.globals.backups}.`);
    cli.out.table(
      backups.map((b) => ({
        id: b.id,
        kind: b.kind,
        version: b.version,
        mvp: milestoneText(b.milestone),
        size: `${(b.sizeBytes / 1e6).toFixed(1)} MB`,
        verified: b.integrity.verified ? 'yes' : 'no',
        label: b.label ?? '',
        database: ownerOf(b).path,
      })),
      [
        { key: 'id', label: 'Backup' },
        { key: 'kind', label: 'Kind' },
        { key: 'version', label: 'Version', align: 'right' },
        { key: 'mvp', label: 'Milestone' },
        { key: 'size', label: 'Size', align: 'right' },
        { key: 'verified', label: 'Verified' },
        { key: 'label', label: 'Label' },
        ...(database ? [] : [{ key: 'database', label: 'Database' }]),
      ],
    );
  });
}

/** Removes one backup of `--db` (read read-only for its identity, so a damaged database can still drop a backup). */
function removeBackupCommand(cli: CliRuntime, ref: string): void {
  const database = readDatabaseIdentityAt(resolve(cli.globals.db));
  const removed = removeBackup(cli.globals.backups, ref, { id: database.id, path: database.path });
  cli.out.result(removed, () =>
    cli.out.line(`Removed backup ${removed.id} (${removed.kind}${removed.label ? `, "${removed.label}"` : ''}, version ${removed.version}): ${removed.path}`),
  );
}
