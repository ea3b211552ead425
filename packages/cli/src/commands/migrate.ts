import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { ProgressReporter } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import { targetFrom, versionList, wholeNumber } from './parse-options.js';

interface MigrateOptions {
  to?: number;
  toMvp?: number;
  dryRun: boolean;
  acceptChecksum?: number[];
  lockTimeout: number;
  rollbackOnFailure: boolean;
  checkpoint: boolean;
}

/** `mfmig migrate [--to N | --to-mvp N] [--dry-run]`. */
export function registerMigrate(program: Command, cli: CliRuntime): void {
  program
    .command('migrate')
    .description('apply pending migrations up to the latest version, a version or a milestone')
    .option('--to <version>', 'stop at this version', wholeNumber)
    .option('--to-mvp <n>', 'stop at this milestone', wholeNumber)
    .option('--dry-run', 'show the statements that would run and change nothing', false)
    .option('--accept-checksum <versions>', 'accept edited applied migrations (comma-separated versions; logged)', versionList)
    .option('--rollback-on-failure', 'when a migration fails, take the database back to where the run started', false)
    .option('--checkpoint', 'take a checkpoint before the run (resume it with `mfmig resume`)', false)
    .option('--lock-timeout <ms>', 'wait this long for another running mfmig before giving up', wholeNumber, 10_000)
    .action(async (options: MigrateOptions) => {
      const target = targetFrom(options);
      const dbPath = resolve(cli.globals.db);
      const framework = cli.openFramework({
        create: true,
        database: options.dryRun && !existsSync(dbPath) ? new Database(':memory:') : dbPath,
        config: { lockTimeout: options.lockTimeout },
      });
      const reporter = new ProgressReporter(cli.out);
      const detach = reporter.attach(framework.context.events);
      try {
        const result = await framework.migrationService.migrateTo(target, {
          dryRun: options.dryRun,
          acceptChecksums: options.acceptChecksum,
          signal: cli.signal,
          enableRollback: options.rollbackOnFailure,
          createCheckpoints: options.checkpoint,
        });
        detach();
        cli.out.result(result, () => renderRun(cli.out, result));
      } finally {
        detach();
      }
    });
}
