import type { Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { withRepairService } from './rollback-service.js';
import { assertSchemaFileWritable, writeSchemaFile } from '../schema-file.js';
import { restorePostgres } from '../postgres/postgres-backup.js';
import { type LockWaitOptions, addLockWaitOptions } from './lock-wait-options.js';

interface RestoreCommandOptions extends LockWaitOptions {
  saveAside: boolean;
  allowOtherDatabase: boolean;
}

/** `mfmig restore <backup> [--no-save-aside] [--allow-other-database]`. */
export function registerRestore(program: Command, cli: CliRuntime): void {
  const command = program
    .command('restore')
    .description(
      'verify a backup (sha256, integrity) and replace the database with it atomically; the replaced file is kept aside; a backup of another database is refused (exit 3)',
    )
    .argument('<backup>', 'backup id, or the path of its .db or .json')
    .option('--no-save-aside', 'do not keep the replaced database file')
    .option('--allow-other-database', 'restore a backup that belongs to another database (a copy, another file) on purpose', false);
  addLockWaitOptions(command, 'the restore').action(async (backup: string, options: RestoreCommandOptions) => {
    if (isPostgresUrl(cli.globals.db)) return restorePostgres(cli, backup, options);
    assertSchemaFileWritable(cli);
    const result = await withRepairService(cli, { loadModules: false }, (manager) =>
      manager.restoreBackup(backup, { saveAside: options.saveAside, allowOtherDatabase: options.allowOtherDatabase }),
    );
    cli.out.result(result, () => {
      cli.out.line(`Restored ${result.backup.id} over ${result.livePath}: the database is at version ${result.restoredToVersion}.`);
      if (result.savedAside) cli.out.line(`The replaced file is kept as ${result.savedAside.path}.`);
    });
    await writeSchemaFile(cli);
  });
}
