import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { MfmigError } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { CONFIG_FILE_NAMES } from '../settings/config-file.js';
import { databaseFileFrom } from '../settings/database-url.js';

/** The database `mfmig init` writes into the config when `--db` does not name one. */
const INIT_DATABASE = './app.db';

/**
 * `mfmig init`: creates `migrations/` (kept when it is there) and a typed `mfmig.config.ts` in
 * the current directory. `--db`, `--migrations` and `--backups`, when given, are what it
 * writes. An existing config file is never replaced: exit 2, nothing changed.
 */
export function registerInit(program: Command, cli: CliRuntime): void {
  program
    .command('init')
    .description('create migrations/ and a typed mfmig.config.ts in the current directory (never replaces a config)')
    .action(() => {
      const cwd = process.cwd();
      const existing = CONFIG_FILE_NAMES.filter((name) => existsSync(join(cwd, name)));
      if (existing.length > 0)
        throw new MfmigError('USAGE', `${existing.join(' and ')} already exists in ${cwd}; nothing was changed (edit it, or remove it to start again)`);
      const given = (key: string) => (program.getOptionValueSource(key) === 'cli' ? program.opts<Record<string, string>>()[key] : undefined);
      const database = given('db') ?? INIT_DATABASE;
      databaseFileFrom(database, '--db');
      const settings = { database, migrations: given('migrations') ?? './migrations', backups: given('backups') ?? './backups' };
      const migrations = resolve(cwd, settings.migrations);
      const createdMigrations = !existsSync(migrations);
      if (!createdMigrations && !statSync(migrations).isDirectory())
        throw new MfmigError('USAGE', `${settings.migrations} exists and is not a folder; nothing was changed`);
      mkdirSync(migrations, { recursive: true });
      const config = join(cwd, CONFIG_FILE_NAMES[0]);
      // 'wx': a config that appeared meanwhile is not replaced either
      writeFileSync(config, configSource(settings), { flag: 'wx' });
      cli.out.result({ config, migrations, createdMigrations, settings }, () => {
        cli.out.line(`${createdMigrations ? 'Created' : 'Kept the existing'} ${migrations}/`);
        cli.out.line(`Wrote ${config}: database ${settings.database}, migrations ${settings.migrations}, backups ${settings.backups}`);
        cli.out.line('Next: `mfmig new create_items` writes the first migration; edit it, then `mfmig plan` and `mfmig migrate`.');
      });
    });
}

function configSource(settings: { database: string; migrations: string; backups: string }): string {
  return `import { defineConfig } from '@mfmig/cli';

// mfmig's settings. Flags beat environment variables, which beat .env, which beat this file.
// Relative paths are relative to this file's folder.
export default defineConfig({
  // the SQLite database: a path, sqlite:./app.db or file:./app.db (or DATABASE_URL / DATABASE_PATH)
  database: ${JSON.stringify(settings.database)},
  // the migrations folder: mvp1/, mvp2/ ... or flat
  migrations: ${JSON.stringify(settings.migrations)},
  // where backups and checkpoints go
  backups: ${JSON.stringify(settings.backups)},
});
`;
}
