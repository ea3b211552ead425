import { availableParallelism } from 'node:os';
import {
  type IntegrityCheckLevel,
  type Migration,
  type MigrationFrameworkConfig,
  MfmigError,
  type ServiceContext,
  createServiceContext,
  isMfmigError,
  isServiceContext,
  readEnvironment,
  resolveConfig,
} from '@mfmig/core';
import { DATABASE_OPEN } from './checks/entries/integrity-entries.js';
import { checkIdOf } from './checks/validation-check.js';
import type { MigrationPlanInput } from './operations/migration-plan.js';
import { buildReport } from './report/build-report.js';
import { withBaseline } from './report/pre-existing.js';
import type { ValidationReport } from './report/types.js';
import { corruptionFinding } from './run/run-recorder.js';
import type { RunOperation } from './run/run-operation.js';
import { type RunSettings, runValidation } from './run/validation-run.js';

/** Tuning beyond the shared mfmig configuration. */
export interface ValidationTuning {
  /** Tables with at least this many rows are "large": a scan of one by a critical query is medium severity, an unindexed foreign key in one is reported. Default 10 000. */
  largeTableRows?: number;
  /** Database files smaller than this are checked in-process; larger ones in killable child processes. Default 32 MiB. */
  inProcessMaxBytes?: number;
  /** Child processes for the heavy checks. Default min(2, available CPUs). */
  parallelism?: number;
  /**
   * When the service opens the database itself (a path or handle was given): import the
   * folder's `.ts`/`.js` migration modules (default true), which runs their code. False reads
   * them for their metadata only: the expected schema is then rebuilt without running any (a
   * module the history shows to have moved data only replays as a no-op, see
   * `withSchemaReplayStandIns` in @mfmig/core), and the `schema.expected` check is skipped when
   * an applied module changed the schema. A context handed in decides for itself.
   */
  loadModules?: boolean;
}

/** What `new ValidationService(config)` accepts: the mfmig configuration plus {@link ValidationTuning}. */
export type ValidationServiceConfig = MigrationFrameworkConfig & ValidationTuning;

/** Per-call options of every validation method. */
export interface ValidationCallOptions {
  /** Overrides the configured `integrityCheckLevel` for this call. */
  level?: IntegrityCheckLevel;
  /**
   * A report taken before a migration (e.g. `validatePreMigrationState()`): findings it already
   * had move to `preExisting` and do not make this report invalid.
   */
  baseline?: ValidationReport;
}

/**
 * The validation levels, shallowest first.
 *
 * @example
 * INTEGRITY_CHECK_LEVELS.includes('quick'); // true
 */
export const INTEGRITY_CHECK_LEVELS: readonly IntegrityCheckLevel[] = ['quick', 'standard', 'comprehensive'];

/**
 * Default of `largeTableRows`: tables with this many rows or more are large.
 *
 * @example
 * new ValidationService({ database: db, largeTableRows: DEFAULT_LARGE_TABLE_ROWS * 10 });
 */
export const DEFAULT_LARGE_TABLE_ROWS = 10_000;

/**
 * Default of `inProcessMaxBytes`: smaller files are checked in-process, larger ones in child processes.
 *
 * @example
 * new ValidationService({ database: './kb.db', inProcessMaxBytes: DEFAULT_IN_PROCESS_MAX_BYTES });
 */
export const DEFAULT_IN_PROCESS_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Validates a SQLite database: schema against its migrations, data, references, indexes,
 * performance of declared critical queries and milestone compliance, in one report shape.
 * Usable alone with a better-sqlite3 handle or a path (opened read-only), or inside the
 * framework with its shared context. It never writes to the database.
 *
 * @example
 * const validation = new ValidationService({ database: new Database('./knowledge.db'), migrationsPath: './migrations' });
 * const report = await validation.performComprehensiveValidation();
 * console.log(report.summary.overallHealth, report.errors);
 */
export class ValidationService {
  readonly #input: ValidationServiceConfig | ServiceContext;
  readonly #tuning: ValidationTuning;
  readonly #migrationsGiven: boolean;
  /** The caller named the folder (option or `MIGRATION_PATH`): it must exist. A shared context's folder may be absent. */
  readonly #migrationsNamed: boolean;
  readonly #ownsContext: boolean;
  #ctx: ServiceContext | undefined;

  constructor(input: ValidationServiceConfig | ServiceContext, tuning: ValidationTuning = {}) {
    this.#input = input;
    if (isServiceContext(input)) {
      this.#ctx = input;
      this.#ownsContext = false;
      this.#migrationsGiven = true;
      this.#migrationsNamed = false;
      this.#tuning = tuning;
    } else {
      resolveConfig(input);
      this.#ownsContext = true;
      this.#migrationsGiven = input.migrationsPath !== undefined || readEnvironment().migrationsPath !== undefined;
      this.#migrationsNamed = this.#migrationsGiven;
      this.#tuning = {
        largeTableRows: input.largeTableRows,
        inProcessMaxBytes: input.inProcessMaxBytes,
        parallelism: input.parallelism,
        loadModules: input.loadModules,
        ...tuning,
      };
    }
  }

  /** Every check of the configured level on the database as it is. */
  performComprehensiveValidation(options: ValidationCallOptions = {}): Promise<ValidationReport> {
    return this.#run(options, { operation: 'comprehensive', databaseChecks: true });
  }

  /** The database checks plus: nobody else is migrating, and the disk can hold a backup. */
  validatePreMigrationState(options: ValidationCallOptions = {}): Promise<ValidationReport> {
    return this.#run(options, { operation: 'pre-migration', databaseChecks: true });
  }

  /** The database checks plus: `migration` is recorded as fully applied. */
  validatePostMigration(migration: Pick<Migration, 'version'> | number, options: ValidationCallOptions = {}): Promise<ValidationReport> {
    const version = typeof migration === 'number' ? migration : migration.version;
    return this.#run(options, { operation: 'post-migration', databaseChecks: true, version });
  }

  /** The plan against the migrations folder and the history (no data checks: see `validatePreMigrationState`). */
  validateMigrationPlan(plan: MigrationPlanInput, options: ValidationCallOptions = {}): Promise<ValidationReport> {
    return this.#run(options, { operation: 'plan', databaseChecks: false, plan });
  }

  /** The database checks plus: nothing above `targetVersion` is still applied. */
  validateRollbackResult(targetVersion: number, options: ValidationCallOptions = {}): Promise<ValidationReport> {
    return this.#run(options, { operation: 'rollback', databaseChecks: true, targetVersion });
  }

  /** Closes the database if this service opened it (a path was given). */
  close(): void {
    if (this.#ownsContext) this.#ctx?.close();
  }

  async #run(options: ValidationCallOptions, op: RunOperation): Promise<ValidationReport> {
    const startedAt = performance.now();
    if (options.level !== undefined && !INTEGRITY_CHECK_LEVELS.includes(options.level)) {
      throw new MfmigError('USAGE', `Unknown validation level ${JSON.stringify(options.level)}; use ${INTEGRITY_CHECK_LEVELS.join(', ')}`);
    }
    let ctx: ServiceContext;
    try {
      ctx = this.#context();
    } catch (error) {
      if (!isMfmigError(error) || error.code !== 'DATABASE_CORRUPT') throw error;
      const database = typeof this.#input === 'object' && 'database' in this.#input && typeof this.#input.database === 'string' ? this.#input.database : '';
      const level = options.level ?? resolveConfig(this.#input as MigrationFrameworkConfig).integrityCheckLevel;
      return buildReport({
        operation: op.operation,
        level,
        database,
        startedAt,
        findings: [corruptionFinding(error.message)],
        checksRun: [],
        checksSkipped: [{ ...checkIdOf(DATABASE_OPEN), reason: 'corrupt', message: error.message }],
      });
    }
    if (this.#migrationsNamed) await assertMigrationsFolder(ctx);
    const report = await runValidation(ctx, this.#settings(ctx, options), op);
    return options.baseline ? withBaseline(report, options.baseline) : report;
  }

  #context(): ServiceContext {
    this.#ctx ??= createServiceContext(this.#input as MigrationFrameworkConfig, { mode: 'readonly', loadModules: this.#tuning.loadModules ?? true });
    return this.#ctx;
  }

  #settings(ctx: ServiceContext, options: ValidationCallOptions): RunSettings {
    return {
      level: options.level ?? ctx.config.integrityCheckLevel,
      timeoutMs: ctx.config.validationTimeout,
      migrationsGiven: this.#migrationsGiven,
      largeTableRows: this.#tuning.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS,
      inProcessMaxBytes: this.#tuning.inProcessMaxBytes ?? DEFAULT_IN_PROCESS_MAX_BYTES,
      parallelism: this.#tuning.parallelism ?? Math.min(2, availableParallelism()),
    };
  }
}

/** A named migrations folder that is not there is an error (`MIGRATIONS_NOT_FOUND`); any other problem with it is reported in the run. */
async function assertMigrationsFolder(ctx: ServiceContext): Promise<void> {
  try {
    await ctx.loadMigrations();
  } catch (error) {
    if (isMfmigError(error) && error.code === 'MIGRATIONS_NOT_FOUND') throw error;
  }
}
