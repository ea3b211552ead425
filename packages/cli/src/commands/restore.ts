import type { Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { rollbackServiceForRepair } from './rollback-service.js';

/** `mfmig restore <backup> [--no-save-aside]`. */
export function registerRestore(program: Command, cli: CliRuntime): void {
  program
    .command('restore')
    .description('verify a backup (sha256, integrity) and replace the database with it atomically; the replaced file is kept aside')
    .argument('<backup>', 'backup id, or the path of its .db or .json')
    .option('--no-save-aside', 'do not keep the replaced database file')
    .action(async (backup: string, options: { saveAside: boolean }) => {
      const manager = rollbackServiceForRepair(cli);
      try {
        const result = await manager.restoreBackup(backup, { saveAside: options.saveAside });
        cli.out.result(result, () => {
          cli.out.line(`Restored ${result.backup.id} over ${result.livePath}: the database is at version ${result.restoredToVersion}.`);
          if (result.savedAside) cli.out.line(`The replaced file is kept as ${result.savedAside.path}.`);
        });
      } finally {
        manager.close();
      }
    });
}
