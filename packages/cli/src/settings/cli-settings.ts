import type { Command } from 'commander';
import type { MigrationFormat, MigrationFrameworkConfig, MilestoneRange } from '@mfmig/core';
import { configRelative, findConfigFile, loadConfigFile } from './config-file.js';
import { resolveDatabaseFile } from './database-setting.js';
import type { MfmigConfig } from './mfmig-config.js';

/** The commands of the knowledge-base example, whose database defaults to `./knowledge.db`. */
export const DEMO_COMMANDS: readonly string[] = ['seed', 'demo'];

/** The demo's database, used by `seed` and `demo` when nothing else names one. */
export const DEMO_DATABASE = './knowledge.db';

/** The settings a command runs with, every layer applied. */
export interface CliSettings {
  /** The database file; undefined when no layer names one (a command that needs it says so). */
  database?: string;
  migrations: string;
  /** True when a flag, the environment or the config file named the migrations folder (false: the default `./migrations`). */
  migrationsGiven: boolean;
  backups: string;
  /** The config file read, if any. */
  configFile?: string;
  /** The forced folder layout: `--format` when the program has it and it was given, else the config's. */
  format?: MigrationFormat;
  /** The config's milestones, as version ranges. */
  milestones?: MilestoneRange[];
  /** The config's schema file, absolute. */
  schemaFile?: string;
  /** The config's framework settings that no environment variable (or `.env`) overrides. */
  framework: Partial<MigrationFrameworkConfig>;
}

/** Config keys handed to the framework, with the environment variable that beats each. */
const FRAMEWORK_KEYS = {
  backupRetention: 'BACKUP_RETENTION',
  integrityCheckLevel: 'INTEGRITY_CHECK_LEVEL',
  validationTimeout: 'VALIDATION_TIMEOUT',
  rollbackSafetyChecks: 'ROLLBACK_SAFETY_CHECKS',
  enableLogging: 'ENABLE_LOGGING',
  enableMetrics: 'ENABLE_METRICS',
  emergencyContacts: 'EMERGENCY_CONTACTS',
} as const satisfies Partial<Record<keyof MfmigConfig & keyof MigrationFrameworkConfig, string>>;

/**
 * Applies the layers, highest first: flags, environment, `.env`, the config file, defaults
 * (ARCHITECTURE.md). `process.env` already holds `.env` (loaded without replacing anything), so
 * commander's environment-backed options need no more; the database setting reads the two apart.
 *
 * @example
 * const settings = await resolveSettings(program, { command: 'status', cwd: process.cwd(), dotEnv: {} });
 */
export async function resolveSettings(program: Command, options: { command: string; cwd: string; dotEnv: Record<string, string> }): Promise<CliSettings> {
  const opts = program.opts<{ db?: string; migrations: string; backups: string; config?: string; format?: MigrationFormat }>();
  const file = findConfigFile(options.cwd, opts.config);
  const loaded = file === undefined ? undefined : await loadConfigFile(file);
  const config = loaded?.config ?? {};
  const environment = Object.fromEntries(Object.entries(process.env).filter(([key]) => !(key in options.dotEnv)));
  const given = (key: string) => ['cli', 'env'].includes(program.getOptionValueSource(key) ?? '');
  const fromConfig = (key: 'migrations' | 'backups') => (!given(key) && loaded && config[key] !== undefined ? configRelative(loaded, config[key]) : opts[key]);
  return {
    database: resolveDatabaseFile({
      flag: program.getOptionValueSource('db') === 'cli' ? opts.db : undefined,
      environment,
      dotEnv: options.dotEnv,
      config: loaded,
      fallback: DEMO_COMMANDS.includes(options.command) ? DEMO_DATABASE : undefined,
    }),
    migrations: fromConfig('migrations'),
    migrationsGiven: given('migrations') || (loaded !== undefined && config.migrations !== undefined),
    backups: fromConfig('backups'),
    configFile: loaded?.file,
    format: given('format') ? opts.format : config.format,
    milestones: config.milestones,
    schemaFile: loaded && config.schemaFile !== undefined ? configRelative(loaded, config.schemaFile) : undefined,
    framework: frameworkSettings(config),
  };
}

function frameworkSettings(config: MfmigConfig): Partial<MigrationFrameworkConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(FRAMEWORK_KEYS)) {
    const value = config[key as keyof typeof FRAMEWORK_KEYS];
    if (value !== undefined && !process.env[variable]) out[key] = value;
  }
  return out as Partial<MigrationFrameworkConfig>;
}
