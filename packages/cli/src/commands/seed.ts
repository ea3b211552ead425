import { formatCount, isPostgresUrl } from '@mfmig/core';
import { seedPostgres } from '../postgres/postgres-seed.js';
import type { Command } from 'commander';
import type { MigrationFramework } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import { KB_EXAMPLE_HELP_GROUP } from './help-groups.js';
import { seedWithProgress } from '../seed-with-progress.js';
import { wholeNumber } from './parse-options.js';

interface SeedCommandOptions {
  rows: number;
  seed: number;
}

/** `mfmig seed --rows N`: an MVP1 knowledge base with N deterministic entries. */
export function registerSeed(program: Command, cli: CliRuntime): void {
  program
    .command('seed')
    .helpGroup(KB_EXAMPLE_HELP_GROUP)
    .description('bring the database to MVP1 and fill it with N deterministic knowledge-base entries')
    .option('--rows <n>', 'number of KB entries', wholeNumber, 1000)
    .option('--seed <n>', 'random seed (same rows and seed, same data)', wholeNumber, 1)
    .action(async (options: SeedCommandOptions) => {
      if (isPostgresUrl(cli.globals.db)) return seedPostgres(cli, options.rows, options.seed);
      const framework = cli.openFramework({ create: true, loadModules: true });
      const seeded = await seedFramework(framework, cli, options.rows, options.seed);
      cli.out.result(seeded, () =>
        cli.out.line(
          `Seeded ${formatCount(seeded.entries)} KB entries (${formatCount(seeded.tags)} tags, ${formatCount(seeded.feedback)} feedback rows) at MVP1.`,
        ),
      );
    });
}

/** Migrates to MVP1 when needed, then seeds. Shared with `demo`. */
export async function seedFramework(
  framework: MigrationFramework,
  cli: CliRuntime,
  rows: number,
  seed: number,
): Promise<{ entries: number; tags: number; feedback: number; durationMs: number }> {
  const start = performance.now();
  const status = await framework.migrationService.status();
  if (status.currentMvp < 1) await framework.migrationService.executeMVPMigration(1, { signal: cli.signal });
  return seedWithProgress(cli, framework.context.connection, rows, seed, start);
}
