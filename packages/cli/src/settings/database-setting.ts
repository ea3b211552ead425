import { MfmigError } from '@mfmig/core';
import { type LoadedConfig, configRelative } from './config-file.js';
import { isPostgresUrl } from '@mfmig/core';
import { databaseFileFrom } from './database-url.js';

/** Where the database setting may come from, highest first (ARCHITECTURE.md, "The command line"). */
export interface DatabaseSources {
  /** `--db`, when given on the command line. */
  flag?: string;
  /** The environment the process was started with (`.env` not included). */
  environment: NodeJS.ProcessEnv;
  /** What `.env` added. */
  dotEnv: Record<string, string>;
  /** The config file, if any. */
  config?: LoadedConfig;
  /** The command's own default: `./knowledge.db` for the demo's `seed` and `demo`, else none. */
  fallback?: string;
}

/**
 * The database file, from the first layer that names one: `--db`, then the environment, then
 * `.env`, then the config file's `database`, then the command's fallback. In the environment
 * and `.env`, `DATABASE_PATH` (a path, mfmig's own) wins over `DATABASE_URL` (a URL many tools
 * share). URLs are read by {@link databaseFileFrom}; a config's relative path is relative to
 * the config file. Undefined when no layer names one.
 *
 * @example
 * resolveDatabaseFile({ environment: { DATABASE_URL: 'sqlite:./a.db' }, dotEnv: {} }); // './a.db'
 */
export function resolveDatabaseFile(sources: DatabaseSources): string | undefined {
  if (sources.flag !== undefined) return databaseFileFrom(nonEmpty(sources.flag, '--db'), '--db');
  for (const [layer, where] of [
    [sources.environment, 'the environment'],
    [sources.dotEnv, '.env'],
  ] as const) {
    if (layer.DATABASE_PATH) return layer.DATABASE_PATH;
    if (layer.DATABASE_URL) return databaseFileFrom(layer.DATABASE_URL, `DATABASE_URL (${where})`);
  }
  if (sources.config?.config.database !== undefined) {
    const file = databaseFileFrom(sources.config.config.database, `database in ${sources.config.file}`);
    return isPostgresUrl(file) ? file : configRelative(sources.config, file);
  }
  return sources.fallback;
}

/** The one line a command that needs a database prints when no layer gives one. */
export function noDatabaseError(): MfmigError {
  return new MfmigError(
    'USAGE',
    'No database given: pass --db <file>, set DATABASE_URL (sqlite:./app.db) or DATABASE_PATH in the environment or .env, or set database in mfmig.config.ts (mfmig init writes one)',
  );
}

function nonEmpty(value: string, where: string): string {
  if (value.trim() === '') throw new MfmigError('USAGE', `${where} needs a file or a sqlite:/file: URL, not an empty value`);
  return value;
}
