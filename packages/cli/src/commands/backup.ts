import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readDatabaseIdentityAt } from '@mfmig/core';
import { listBackups, ownerOf } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { ProgressReporter, formatMs } from '../progress-reporter.js';
import { rollbackService } from './rollback-service.js';

interface BackupOptions {
  label?: string;
  verify: boolean;
  list: boolean;
  all: boolean;
}

/** `mfmig backup [--label <text>] [--no-verify] [--list [--all]]`. */
export function registerBackup(program: Command, cli: CliRuntime): void {
  program
    .command('backup')
    .description('back up the database (online backup API, manifest with sha256 and integrity), or list the backups')
    .option('--label <text>', 'a note stored in the manifest')
    .option('--no-verify', 'skip the integrity check of the copy')
    .option('--list', "list the database's backups (reads the manifests; the database is only read)", false)
    .option('--all', 'with --list: the backups of every database in the backup folder', false)
    .action(async (options: BackupOptions) => {
      if (options.list) {
        const database = options.all ? undefined : readDatabaseIdentityAt(resolve(cli.globals.db));
        const backups = listBackups(cli.globals.backups, { includeCheckpoints: true, database });
        cli.out.result(backups, () => {
          if (backups.length === 0) cli.out.line(`No backups${database ? ` of ${database.path}` : ''} in ${cli.globals.backups}.`);
          cli.out.table(
            backups.map((b) => ({
              id: b.id,
              kind: b.kind,
              version: b.version,
              mvp: `MVP${b.milestone}`,
              size: `${(b.sizeBytes / 1e6).toFixed(1)} MB`,
              verified: b.integrity.verified ? 'yes' : 'no',
              database: ownerOf(b).path,
            })),
            [
              { key: 'id', label: 'Backup' },
              { key: 'kind', label: 'Kind' },
              { key: 'version', label: 'Version', align: 'right' },
              { key: 'mvp', label: 'Milestone' },
              { key: 'size', label: 'Size', align: 'right' },
              { key: 'verified', label: 'Verified' },
              ...(database ? [] : [{ key: 'database', label: 'Database' }]),
            ],
          );
        });
        return;
      }
      const framework = cli.openFramework({ loadModules: false });
      const manager = rollbackService(framework);
      const detach = new ProgressReporter(cli.out).attach(framework.context.events);
      try {
        const backup = await manager.createBackup({ label: options.label, verify: options.verify ? 'full' : false });
        detach();
        cli.out.result(backup, () => {
          cli.out.line(`Backup ${backup.id}`);
          cli.out.line(`  file:      ${backup.path}`);
          cli.out.line(`  version:   ${backup.version} (MVP${backup.milestone}), ${(backup.sizeBytes / 1e6).toFixed(1)} MB, sha256 ${backup.sha256.slice(0, 16)}…`);
          cli.out.line(`  integrity: ${backup.integrity.checked ? backup.integrity.result : 'not checked'}; copy ${formatMs(backup.timings.copyMs)}, verification ${formatMs(backup.timings.hashMs + (backup.timings.verifyMs ?? 0))}`);
        });
      } finally {
        detach();
        manager.close();
      }
    });
}
