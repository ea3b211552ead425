import type { SqliteDatabase as Database } from '../adapter/user-connection.js';
import type { SqliteConnection } from '../adapter/sqlite-connection.js';
import type * as ZodModule from 'zod';
import type { z as Z } from 'zod';
import { MfmigError } from '../errors/index.js';
import { zodModule } from '../lazy/load-on-use.js';
import type { MilestoneRange } from '../migration/formats/milestone-ranges.js';
import type { MigrationFormat } from '../migration/migration.js';

/** How deep validation goes; see @mfmig/validation for what each level runs. */
export type IntegrityCheckLevel = 'quick' | 'standard' | 'comprehensive';

/** A sink for structured log records. */
export interface Logger {
  log(record: { level: 'debug' | 'info' | 'warn' | 'error'; event: string; [key: string]: unknown }): void;
}

/** Configuration accepted by mfmig, as a user writes it. Every field but `database` is optional. */
export interface MigrationFrameworkConfig {
  /**
   * The path of a SQLite file, a connection on the dialect boundary (`openSqlite`), or an open
   * better-sqlite3 database. A connection or database handed in stays open when the framework
   * closes: it is the caller's to close. A restore, which replaces the file, closes it and opens
   * a new one: read the context's `connection` after a restore.
   */
  database: Database | string | SqliteConnection;
  /** Folder of migrations: milestone folders (`mvp1/`, `mvp2/`, ...), or a flat folder of any format mfmig reads. Env `MIGRATION_PATH`. */
  migrationsPath?: string;
  /** Read the migrations folder as this format instead of detecting it. Env `MIGRATION_FORMAT`. */
  format?: MigrationFormat;
  /** Milestones of a flat migrations folder by version ranges, e.g. `[{ mvp: 1, through: 5 }, { mvp: 2 }]`. */
  milestones?: MilestoneRange[];
  /** Where backups and checkpoints go. Env `BACKUP_PATH`. */
  backupPath?: string;
  /** Write a structured log of every step. Env `ENABLE_LOGGING`. */
  enableLogging?: boolean;
  /** Record per-step metrics in `mfmig_metrics`. Env `ENABLE_METRICS`. */
  enableMetrics?: boolean;
  /** Upper bound of one validation run, in ms. Env `VALIDATION_TIMEOUT`. */
  validationTimeout?: number;
  /** Validation depth. Env `INTEGRITY_CHECK_LEVEL`. */
  integrityCheckLevel?: IntegrityCheckLevel;
  /** Run the safety checks before a rollback. Env `ROLLBACK_SAFETY_CHECKS`. */
  rollbackSafetyChecks?: boolean;
  /** Who to tell in an emergency. Env `EMERGENCY_CONTACTS` (comma separated). */
  emergencyContacts?: string[];
  /** How long to wait for another runner's lock before giving up, in ms. */
  lockTimeout?: number;
  /** Rows per batch for batched data transformations. */
  batchSize?: number;
  /** How many backups of the database to keep (oldest are removed first). 0 keeps all. Env `BACKUP_RETENTION`. */
  backupRetention?: number;
  /** Where log records go when logging is on (default: JSON lines on stderr). */
  logger?: Logger;
}

/** The configuration after defaults, environment and validation. */
export interface ResolvedConfig extends Required<Omit<MigrationFrameworkConfig, 'logger' | 'format' | 'milestones'>> {
  logger: Logger;
  format?: MigrationFormat;
  milestones?: MilestoneRange[];
}

/** Kept in step with `MigrationFormat` (the compiler checks the list's type). */
const FORMATS = ['mfmig', 'dbmate', 'golang-migrate', 'flyway', 'sqlx', 'prisma'] as const satisfies readonly MigrationFormat[];

const ENV_FIELDS = {
  MIGRATION_PATH: 'migrationsPath',
  MIGRATION_FORMAT: 'format',
  BACKUP_PATH: 'backupPath',
  ENABLE_LOGGING: 'enableLogging',
  ENABLE_METRICS: 'enableMetrics',
  VALIDATION_TIMEOUT: 'validationTimeout',
  INTEGRITY_CHECK_LEVEL: 'integrityCheckLevel',
  ROLLBACK_SAFETY_CHECKS: 'rollbackSafetyChecks',
  BACKUP_RETENTION: 'backupRetention',
  EMERGENCY_CONTACTS: 'emergencyContacts',
} as const satisfies Record<string, keyof MigrationFrameworkConfig>;

type EnvVariable = keyof typeof ENV_FIELDS;

// zod loads when a configuration is first resolved, not when the package is imported
let schemas: ReturnType<typeof buildSchemas> | undefined;

// not `z` nor `zod`: declaration files name zod's namespace so, and `zod: typeof zod` would refer to itself
function buildSchemas(zodExports: typeof ZodModule) {
  const { z } = zodExports;
  const envBoolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
  const envInt = z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform((v) => Number(v))
    .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));
  const env: Record<EnvVariable, Z.ZodType> = {
    MIGRATION_PATH: z.string().min(1),
    MIGRATION_FORMAT: z.enum(FORMATS),
    BACKUP_PATH: z.string().min(1),
    ENABLE_LOGGING: envBoolean,
    ENABLE_METRICS: envBoolean,
    VALIDATION_TIMEOUT: envInt.refine((v) => v > 0, 'must be greater than 0'),
    INTEGRITY_CHECK_LEVEL: z.enum(['quick', 'standard', 'comprehensive']),
    ROLLBACK_SAFETY_CHECKS: envBoolean,
    BACKUP_RETENTION: envInt,
    EMERGENCY_CONTACTS: z.string().transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  };
  const config = z.object({
    database: z.union([
      z.string().min(1),
      z.custom<Database | SqliteConnection>(
        (v) => isDatabaseHandle(v) || isSqliteConnection(v),
        'must be a file path, a SQLite connection (openSqlite) or a better-sqlite3 Database',
      ),
    ]),
    migrationsPath: z.string().min(1).default('./migrations'),
    format: z.enum(FORMATS).optional(),
    milestones: z
      .array(z.object({ mvp: z.number().int().positive(), through: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional() }).strict())
      .min(1)
      .optional(),
    backupPath: z.string().min(1).default('./backups'),
    enableLogging: z.boolean().default(false),
    enableMetrics: z.boolean().default(false),
    validationTimeout: z.number().int().positive().default(300_000),
    integrityCheckLevel: z.enum(['quick', 'standard', 'comprehensive']).default('standard'),
    rollbackSafetyChecks: z.boolean().default(true),
    emergencyContacts: z.array(z.string().min(1)).default([]),
    lockTimeout: z.number().int().nonnegative().default(10_000),
    batchSize: z.number().int().positive().max(1_000_000).default(10_000),
    backupRetention: z.number().int().nonnegative().default(10),
    logger: z.custom<Logger>((v) => typeof (v as Logger | undefined)?.log === 'function', 'must have a log() method').optional(),
  });
  return { env, config };
}

function configSchemas(): ReturnType<typeof buildSchemas> {
  schemas ??= buildSchemas(zodModule());
  return schemas;
}

/**
 * The environment variables the configuration reads (see {@link readEnvironment}).
 *
 * @example
 * CONFIG_ENVIRONMENT_VARIABLES.includes('VALIDATION_TIMEOUT'); // true
 */
export const CONFIG_ENVIRONMENT_VARIABLES = Object.keys(ENV_FIELDS) as readonly EnvVariable[];

/**
 * True for a SQLite connection on the dialect boundary (`openSqlite`, a context's `connection`),
 * also one made by another copy of the package.
 */
export function isSqliteConnection(value: unknown): value is SqliteConnection {
  const conn = value as Partial<SqliteConnection> | null;
  return (
    typeof value === 'object' &&
    conn !== null &&
    conn.dialect === 'sqlite' &&
    typeof conn.query === 'function' &&
    typeof conn.adapter === 'object' &&
    typeof conn.adapter?.prepare === 'function'
  );
}

/** True for an object that looks like an open better-sqlite3 Database. */
export function isDatabaseHandle(value: unknown): value is Database {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Database).prepare === 'function' &&
    typeof (value as Database).exec === 'function' &&
    typeof (value as Database).pragma === 'function'
  );
}

/** Log records as JSON lines on stderr. */
export const stderrLogger: Logger = {
  log(record) {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  },
};

/**
 * Reads the environment variables mfmig honours. A value that does not parse is an error naming
 * the variable.
 */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Partial<MigrationFrameworkConfig> {
  const out: Record<string, unknown> = {};
  for (const name of CONFIG_ENVIRONMENT_VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const quick = plainEnvValue(name, raw.trim());
    if (quick) {
      out[ENV_FIELDS[name]] = quick.value;
      continue;
    }
    const schema = configSchemas().env[name];
    const parsed = schema.safeParse(raw.trim());
    if (!parsed.success) {
      throw new MfmigError(
        'CONFIG_INVALID',
        `Environment variable ${name}=${JSON.stringify(raw.slice(0, 80))} is invalid: ${parsed.error.issues[0]?.message ?? 'bad value'}`,
        { context: { variable: name } },
      );
    }
    out[ENV_FIELDS[name]] = parsed.data;
  }
  return out as Partial<MigrationFrameworkConfig>;
}

/**
 * Applies defaults and environment variables, and validates the result. Explicit options win
 * over the environment.
 *
 * @example
 * const config = resolveConfig({ database: './knowledge.db' });
 * config.migrationsPath; // process.env.MIGRATION_PATH ?? './migrations'
 */
export function resolveConfig(input: MigrationFrameworkConfig, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const fromEnv = readEnvironment(env);
  const merged: Record<string, unknown> = { ...fromEnv };
  for (const [key, value] of Object.entries(input ?? {})) if (value !== undefined) merged[key] = value;
  const plain = plainConfig(merged);
  if (plain) return { ...plain, logger: plain.logger ?? stderrLogger } as ResolvedConfig;
  const parsed = configSchemas().config.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'config';
    throw new MfmigError('CONFIG_INVALID', `Configuration option ${field} is invalid: ${issue?.message ?? 'bad value'}`, {
      context: { field },
    });
  }
  return { ...parsed.data, logger: parsed.data.logger ?? stderrLogger } as ResolvedConfig;
}

// The common case without zod: a value that plainly passes the schema's checks is taken as the
// schema would give it. Anything else (a bad value, or a shape checked by zod only, such as
// `milestones`) goes through zod, which accepts it or says why not: zod stays the authority,
// and the checks below may only be stricter than it, never looser.

const ENV_BOOLEANS: Record<string, boolean> = { true: true, 1: true, yes: true, false: false, 0: false, no: false };
const LEVELS: readonly string[] = ['quick', 'standard', 'comprehensive'];

const INVALID: unique symbol = Symbol('invalid');
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** What an environment variable plainly gives, or undefined to let zod decide. */
function plainEnvValue(name: EnvVariable, value: string): { value: unknown } | undefined {
  switch (name) {
    case 'MIGRATION_PATH':
    case 'BACKUP_PATH':
      return isText(value) ? { value } : undefined;
    case 'MIGRATION_FORMAT':
      return (FORMATS as readonly string[]).includes(value) ? { value } : undefined;
    case 'INTEGRITY_CHECK_LEVEL':
      return LEVELS.includes(value) ? { value } : undefined;
    case 'ENABLE_LOGGING':
    case 'ENABLE_METRICS':
    case 'ROLLBACK_SAFETY_CHECKS':
      return Object.hasOwn(ENV_BOOLEANS, value) ? { value: ENV_BOOLEANS[value] } : undefined;
    case 'VALIDATION_TIMEOUT':
    case 'BACKUP_RETENTION': {
      if (!/^\d+$/.test(value)) return undefined;
      const n = Number(value);
      return isWhole(n) && (name === 'BACKUP_RETENTION' || n > 0) ? { value: n } : undefined;
    }
    case 'EMERGENCY_CONTACTS':
      return {
        value: value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    default:
      return undefined;
  }
}

/** The resolved configuration when every option plainly passes, or undefined to let zod decide. */
function plainConfig(merged: Record<string, unknown>): (Omit<ResolvedConfig, 'logger'> & { logger?: Logger }) | undefined {
  const { database, format, milestones, logger, emergencyContacts } = merged;
  if (!isText(database) && !isDatabaseHandle(database) && !isSqliteConnection(database)) return undefined;
  if (milestones !== undefined) return undefined;
  if (format !== undefined && !(FORMATS as readonly unknown[]).includes(format)) return undefined;
  if (logger !== undefined && typeof (logger as Logger | undefined)?.log !== 'function') return undefined;
  let contacts: string[] = [];
  if (emergencyContacts !== undefined) {
    if (!Array.isArray(emergencyContacts)) return undefined;
    contacts = [];
    for (let i = 0; i < emergencyContacts.length; i++) {
      const contact: unknown = emergencyContacts[i];
      if (!isText(contact)) return undefined;
      contacts.push(contact);
    }
  }
  const pick = <T>(key: string, fallback: T, ok: (v: unknown) => boolean): T | typeof INVALID => {
    const v = merged[key];
    if (v === undefined) return fallback;
    return ok(v) ? (v as T) : INVALID;
  };
  const isBoolean = (v: unknown) => typeof v === 'boolean';
  const resolved = {
    database: database as Database | string | SqliteConnection,
    migrationsPath: pick('migrationsPath', './migrations', isText),
    ...(format === undefined ? {} : { format: format as MigrationFormat }),
    backupPath: pick('backupPath', './backups', isText),
    enableLogging: pick('enableLogging', false, isBoolean),
    enableMetrics: pick('enableMetrics', false, isBoolean),
    validationTimeout: pick('validationTimeout', 300_000, (v) => isWhole(v) && v > 0),
    integrityCheckLevel: pick<IntegrityCheckLevel>('integrityCheckLevel', 'standard', (v) => LEVELS.includes(v as string)),
    rollbackSafetyChecks: pick('rollbackSafetyChecks', true, isBoolean),
    emergencyContacts: contacts,
    lockTimeout: pick('lockTimeout', 10_000, isWhole),
    batchSize: pick('batchSize', 10_000, (v) => isWhole(v) && v > 0 && v <= 1_000_000),
    backupRetention: pick('backupRetention', 10, isWhole),
    ...(logger === undefined ? {} : { logger: logger as Logger }),
  };
  return Object.values(resolved).includes(INVALID) ? undefined : (resolved as Omit<ResolvedConfig, 'logger'> & { logger?: Logger });
}
