import { type IntegrityCheckLevel, type MigrationFormat, type MilestoneRange, zodModule } from '@mfmig/core';
import type * as ZodModule from 'zod';

/** The folder layouts a config may force with `format` (the same names `--format` takes). */
const FORMATS = { mfmig: true, dbmate: true, 'golang-migrate': true, flyway: true, sqlx: true, prisma: true } satisfies Record<MigrationFormat, true>;

/**
 * What `mfmig.config.{ts,mjs,js,json}` may set. Every key is optional and is the lowest layer
 * but the defaults: flags beat the environment, which beats `.env`, which beats this file.
 * Relative paths are relative to the folder of the config file.
 */
export interface MfmigConfig {
  /** The SQLite database: a path, `sqlite:` or `file:` URL. As `--db`, `DATABASE_URL`, `DATABASE_PATH`. */
  database?: string;
  /** Folder of migrations. As `--migrations`, `MIGRATION_PATH`. Default `./migrations`. */
  migrations?: string;
  /** Folder for backups and checkpoints. As `--backups`, `BACKUP_PATH`. Default `./backups`. */
  backups?: string;
  /** Read the migrations folder as this layout instead of detecting it. As `--format`. */
  format?: MigrationFormat;
  /**
   * Milestones of a folder that has no `mvpN/` sub-folders, as version ranges (the shape
   * `loadMigrations` takes): `[{ mvp: 1, through: 6 }, { mvp: 2 }]`. `through` is a version as
   * the folder writes it (a number, or a Flyway label such as `'1.1'`); the last may be open.
   */
  milestones?: MilestoneRange[];
  /** The file `mfmig schema` writes the schema to and checks it against, e.g. `./schema.sql`. */
  schemaFile?: string;
  /** Backups of the database to keep (0 keeps all). As `BACKUP_RETENTION`. */
  backupRetention?: number;
  /** Validation depth. As `INTEGRITY_CHECK_LEVEL`. */
  integrityCheckLevel?: IntegrityCheckLevel;
  /** Upper bound of one validation run, in ms. As `VALIDATION_TIMEOUT`. */
  validationTimeout?: number;
  /** Run the safety checks before a rollback. As `ROLLBACK_SAFETY_CHECKS`. */
  rollbackSafetyChecks?: boolean;
  /** Write a structured log of every step on stderr. As `ENABLE_LOGGING`. */
  enableLogging?: boolean;
  /** Record per-step metrics. As `ENABLE_METRICS`. */
  enableMetrics?: boolean;
  /** Who to tell in an emergency. As `EMERGENCY_CONTACTS`. */
  emergencyContacts?: string[];
}

// zod loads when a config file is first checked, not with the command: most runs have no file
let schema: ReturnType<typeof buildSchema> | undefined;

// not `z` nor `zod`: declaration files name zod's namespace so
function buildSchema(zodExports: typeof ZodModule) {
  const { z } = zodExports;
  const text = z.string().min(1, 'must not be empty');
  const whole = z.number().int('must be a whole number').nonnegative('must be 0 or more');
  return z.strictObject({
    database: text.optional(),
    migrations: text.optional(),
    backups: text.optional(),
    format: z.enum(Object.keys(FORMATS) as [MigrationFormat, ...MigrationFormat[]]).optional(),
    // numbering, order and overlaps are checked by the loader, which knows the folder's versions
    milestones: z
      .array(z.strictObject({ mvp: whole.positive('milestone numbers start at 1'), through: z.union([whole, text]).optional() }))
      .min(1, 'give at least one { mvp, through } range')
      .optional(),
    schemaFile: text.optional(),
    backupRetention: whole.optional(),
    integrityCheckLevel: z.enum(['quick', 'standard', 'comprehensive']).optional(),
    validationTimeout: whole.positive('must be greater than 0').optional(),
    rollbackSafetyChecks: z.boolean().optional(),
    enableLogging: z.boolean().optional(),
    enableMetrics: z.boolean().optional(),
    emergencyContacts: z.array(text).optional(),
  });
}

/** The schema a loaded config is checked against: an unknown key or a wrong type is refused. */
export function mfmigConfigSchema(): ReturnType<typeof buildSchema> {
  schema ??= buildSchema(zodModule());
  return schema;
}

/**
 * Types a config file: returns what it is given, so that an editor checks the keys.
 *
 * @example
 * // mfmig.config.ts
 * import { defineConfig } from '@mfmig/cli';
 * export default defineConfig({ database: 'sqlite:./app.db', migrations: './migrations' });
 */
export function defineConfig(config: MfmigConfig): MfmigConfig {
  return config;
}
