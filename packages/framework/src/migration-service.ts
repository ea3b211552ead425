import {
  type ContextParticipants,
  type DialectMigrator,
  type DialectLock,
  type MigrationEvents,
  type MigrationPlugin,
  type MigrationProgress,
  type MigrationStatus,
  type MigrationTarget,
  pendingSteps,
  readStatus,
  resolveTargetVersion,
  revertSteps,
  isMfmigError,
  MfmigError,
  type RunResult,
  RunValues,
  type ServiceContext,
  contextRunner,
  failureOf,
} from '@mfmig/core';
import { type MigrationPlan, type MigrationPlanner, assertRehearsalPassed } from '@mfmig/planner';
import type { RollbackManager } from '@mfmig/rollback';
import type { ValidationService } from '@mfmig/validation';
import { type BaselineAnalysis, type BaselineOptions, analyzeBaseline } from './adoption/analyze-baseline.js';
import { type BaselineResult, baselineDatabase } from './adoption/baseline.js';
import { type ToolAdoption, adoptToolHistory, analyzeToolAdoption } from './adoption/tool-adoption.js';
import { assertAdopted } from './adoption/unadopted-tables.js';
import { assertDatabaseIntact } from './integrity-precheck.js';
import { RUN_REQUEST, type RunRequest, createRunSequencePlugin } from './run-sequence-plugin.js';
import { type UpgradePathAnalysis, assertMilestone, upgradePath } from './upgrade-path.js';

/** Options of {@link MigrationService.executeMVPMigration}. */
export interface ExecuteMigrationOptions {
  /** Run in a transaction that is rolled back; report what would happen. */
  dryRun?: boolean;
  /** Validate before and after (needs the validation service). Default true. */
  validateIntegrity?: boolean;
  /** Take a checkpoint (verified copy + run position) before the run; `resumeFromCheckpoint` finishes it. Default false. */
  createCheckpoints?: boolean;
  /** Take the database back to the version where the run started when a migration fails (not when interrupted). Default false: the database stays at the last migration that succeeded. */
  enableRollback?: boolean;
  /** Stop at the next safe point when aborted. */
  signal?: AbortSignal;
  /** Applied versions whose edited files are accepted (logged). */
  acceptChecksums?: number[];
  /**
   * The plan to record with the run (one the caller already showed), or `false` for none.
   * Default: made by the planner. A given plan whose rehearsal failed is refused
   * (`REHEARSAL_FAILED`, nothing run); a plan made here is only recorded, so that the run
   * itself reports the failure (and `enableRollback` can act on it).
   */
  plan?: MigrationPlan | false;
  /** A run lock the caller holds across this run and others (a redo: `ctx.connection.lock`); the run leaves it held. */
  heldLock?: DialectLock;
}

/** The services a MigrationService orchestrates. */
export interface MigrationServiceDeps {
  rollbackManager: RollbackManager;
  validation: ValidationService;
  planner: MigrationPlanner;
}

/** Options of the {@link MigrationService} constructor. */
export interface MigrationServiceOptions {
  /** False leaves {@link MigrationService.runSequencePlugin} off the context's plugin list, for a caller that composes the list itself. Default true. */
  register?: boolean;
  /**
   * The participants `migrateTo` runs through `DialectMigrator` with, in this order, on the
   * context's SQLite connection, and `replaces`, the context's plugins they stand for; every other
   * plugin on the context (one a user added) takes part as a `pluginParticipant`, after them.
   * Default: none, so that all the context's plugins take part that way.
   */
  participants?: ContextParticipants;
}

/** What a migration run did. */
export interface MigrationExecutionResult {
  success: boolean;
  dryRun: boolean;
  fromMVP: number;
  toMVP: number;
  fromVersion: number;
  toVersion: number;
  durationMs: number;
  migrations: RunResult['results'];
  /** Repeatable migrations run after the versioned ones (a dry run lists the pending ones as `Pending`). */
  repeatables: NonNullable<RunResult['repeatables']>;
  /** What the run's plugins reported, typed by key (`RunExtras`). */
  extras: RunResult['extras'];
  /** Only on a failed run's result, the thrown error's `result`: what stopped it. */
  error?: Error;
}

/**
 * Orchestrates migrations across milestones: the service the seed README calls
 * `framework.migrationService`.
 *
 * @example
 * const results = await framework.migrationService.executeMVPMigration(3, { dryRun: false });
 */
export class MigrationService {
  readonly #ctx: ServiceContext;
  readonly #services: MigrationServiceDeps;
  /** The runner of the last `migrateTo` run, whose progress `getCurrentProgress` reports. */
  #runner: DialectMigrator | undefined;
  readonly #participants: MigrationServiceOptions['participants'];
  #rolledBack = false;
  /** Pre-migration validation, plan and checkpoint before a `migrateTo` run's first step; post-migration validation after its last. */
  readonly runSequencePlugin: MigrationPlugin;

  /** See {@link MigrationServiceOptions}. */
  constructor(ctx: ServiceContext, services: MigrationServiceDeps, options: MigrationServiceOptions = {}) {
    this.#ctx = ctx;
    this.#services = services;
    this.#participants = options.participants;
    this.runSequencePlugin = createRunSequencePlugin(services);
    if (options.register !== false) ctx.plugins.push(this.runSequencePlugin);
  }

  /** Listens to run events (`migrationStepCompleted`, `progressUpdated`, ... or `'*'` for all). */
  on(event: '*', listener: (event: string, data: unknown) => void): this;
  on<K extends keyof MigrationEvents & string>(event: K, listener: (data: MigrationEvents[K]) => void): this;
  on(event: string, listener: (...args: never[]) => void): this {
    this.#ctx.events.on(event as '*', listener as (event: string, data: unknown) => void);
    return this;
  }

  off(event: string, listener: (...args: never[]) => void): this {
    this.#ctx.events.off(event, listener);
    return this;
  }

  /** Where the database stands: current version and milestone, applied, pending, problems. */
  async status(): Promise<MigrationStatus> {
    return readStatus(this.#ctx.connection, await this.#ctx.loadMigrations());
  }

  /** The migrations to run per milestone to reach `targetMVP` (up or down). */
  async analyzeMVPUpgradePath(targetMVP: number): Promise<UpgradePathAnalysis> {
    const set = await this.#ctx.loadMigrations();
    const target = assertMilestone(targetMVP);
    const status = await readStatus(this.#ctx.connection, set);
    const targetVersion = resolveTargetVersion(set, { mvp: target });
    const down = targetVersion < status.currentVersion && target < status.currentMvp;
    const steps = down ? revertSteps(set, status.applied, { mvp: target }) : pendingSteps(set, status.applied, { mvp: target });
    return upgradePath(status, target, targetVersion, steps, down);
  }

  /**
   * Brings the database up to milestone `targetMVP`. Throws an MfmigError when the run fails; once
   * the run started, the error's `result` is this result with `success: false` (see `migrateTo`).
   */
  async executeMVPMigration(targetMVP: number, options: ExecuteMigrationOptions = {}): Promise<MigrationExecutionResult> {
    return this.migrateTo({ mvp: assertMilestone(targetMVP) }, options);
  }

  /**
   * Brings the database up to any target (latest, a version or a milestone): integrity check,
   * pre-migration validation, plan, checkpoint (on request), the run itself (backup first, events,
   * one transaction per migration), post-migration validation, and rollback on failure (on
   * request). A refusal throws before anything ran; a run that fails throws its `MfmigError` with
   * the run's `MigrationExecutionResult` (`success: false`, `error`, where it stopped) as `result`.
   *
   * @example
   * try {
   *   await framework.migrationService.migrateTo({ latest: true });
   * } catch (error) {
   *   if (isMfmigError(error) && error.result) console.log((error.result as MigrationExecutionResult).toVersion);
   * }
   */
  async migrateTo(target: MigrationTarget, options: ExecuteMigrationOptions = {}): Promise<MigrationExecutionResult> {
    const set = await this.#ctx.loadMigrations();
    this.#rolledBack = false;
    await assertDatabaseIntact(this.#ctx.connection);
    const adoption = await this.#adoptFirst(options.dryRun === true);
    await assertAdopted(this.#ctx);
    if (options.plan && !options.dryRun) assertRehearsalPassed(options.plan);
    const before = await readStatus(this.#ctx.connection, set);
    const request: RunRequest = {
      target,
      validate: options.validateIntegrity ?? true,
      plan: options.plan,
      checkpoint: options.createCheckpoints === true,
      checkpointId: `migrate-${describeTarget(target).replace(/\s+/g, '-')}`,
    };
    const run = {
      dryRun: options.dryRun,
      signal: options.signal,
      acceptChecksums: options.acceptChecksums,
      command: `migrate to ${describeTarget(target)}`,
      values: new RunValues().set(RUN_REQUEST, request),
    };
    // DialectMigrator with the participants; a plugin they do not stand for (a user's own) takes part as a participant
    const runner = await contextRunner(this.#ctx, this.#participants);
    this.#runner = runner;
    const result: RunResult = await runner.migrate(target, { ...run, lockHeld: options.heldLock !== undefined });
    const interrupted = isMfmigError(result.error) && result.error.code === 'INTERRUPTED';
    const validationFailed = isMfmigError(result.error) && result.error.code === 'VALIDATION_FAILED' && result.error.context.stage === 'post-migration';
    if (result.error && (options.enableRollback === true || validationFailed) && !interrupted && !options.dryRun && result.toVersion !== result.fromVersion) {
      await this.#rollBackFailedRun(result, validationFailed, options.heldLock);
    }
    if (adoption) result.extras.adoption = adoption;
    return this.#finish(before, result);
  }

  /**
   * On the first run (no mfmig history), adopts the history another migration tool left (see
   * `adoptToolHistory`). A dry run writes nothing, so it cannot show the runs after a pending
   * adoption: it is refused (ADOPTION_REQUIRED) naming what a real run records.
   */
  async #adoptFirst(dryRun: boolean): Promise<ToolAdoption | null> {
    if (!dryRun) return adoptToolHistory(this.#ctx);
    const pending = await analyzeToolAdoption(this.#ctx);
    if (!pending) return null;
    throw new MfmigError(
      'ADOPTION_REQUIRED',
      `Database ${this.#ctx.connection.target} was migrated by ${pending.tool} (${pending.table}) up to version ${pending.version}; a real run first records those ${pending.versions.length} migration(s) as applied (none is run). A dry run on the database itself cannot show what follows: dry-run a copy adopted with \`adoptToolHistory\``,
      { context: { tool: pending.tool, table: pending.table, version: pending.version } },
    );
  }

  /**
   * Adopts the history another migration tool (dbmate, golang-migrate, Flyway, sqlx, Prisma,
   * Kysely, knex) left in a database mfmig has never migrated: what it applied is recorded as
   * applied, never run again. `migrateTo` does it on its own on the first run. Null when there is
   * nothing to adopt.
   *
   * @example
   * const adoption = await framework.migrationService.adoptToolHistory(); // { tool: 'dbmate', version: 3, ... }
   */
  async adoptToolHistory(): Promise<ToolAdoption | null> {
    await assertDatabaseIntact(this.#ctx.connection);
    return adoptToolHistory(this.#ctx);
  }

  /** What {@link MigrationService.adoptToolHistory} would record, without writing anything. */
  async analyzeToolAdoption(): Promise<ToolAdoption | null> {
    return analyzeToolAdoption(this.#ctx);
  }

  /**
   * Adopts an existing database (tables, no migration history) at the version whose schema
   * equals the live one, or at `to` (with `force` when that version's schema differs): records
   * the migrations up to it as applied without running them. `migrateTo` then applies only
   * newer ones. See `baselineDatabase`.
   *
   * @example
   * const { version, matched } = await framework.migrationService.baseline();
   */
  async baseline(options: BaselineOptions = {}): Promise<BaselineResult> {
    return baselineDatabase(this.#ctx, options);
  }

  /** Which version an existing database's schema matches, without writing anything. See `analyzeBaseline`. */
  async analyzeBaseline(options: Pick<BaselineOptions, 'to'> = {}): Promise<BaselineAnalysis> {
    return analyzeBaseline(this.#ctx, options);
  }

  /**
   * Takes the database back to where a failed run started; keeps the run's error. A run whose
   * committed migrations failed post-migration validation is always taken back: a check that
   * fails after a migration's statements ran must not leave them applied.
   */
  async #rollBackFailedRun(result: RunResult, always: boolean, heldLock: DialectLock | undefined): Promise<void> {
    try {
      const recovery = await this.#services.rollbackManager.recoverFailedRun(result, { heldLock });
      result.extras.recovery = recovery;
      this.#runner?.markRolledBack();
      this.#rolledBack = true;
      if (always && isMfmigError(result.error)) {
        result.error.message +=
          recovery.revertedBy === 'downs'
            ? `; the run was rolled back to version ${result.fromVersion}`
            : `; rolling the run back by its downs failed (${recovery.downsFailure}), so its pre-run backup ${recovery.restoredFrom?.id} was restored (version ${recovery.toVersion})${recovery.savedAside ? `, keeping the replaced file as ${recovery.savedAside}` : ''}`;
      }
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      result.extras.recoveryError = why;
      if (always && isMfmigError(result.error)) result.error.message += `; rolling the run back to version ${result.fromVersion} failed too: ${why}`;
    }
  }

  /** Takes the database down to milestone `targetMVP`, archiving the rows the downs drop (unless `preserveUserData: false`). */
  async rollbackMVPMigration(targetMVP: number, options: { preserveUserData?: boolean; validateRollback?: boolean } = {}) {
    return this.#services.rollbackManager.rollbackToMvp(assertMilestone(targetMVP), options);
  }

  /** A checkpoint: a verified copy of the database plus the run's position. */
  async createCheckpoint(migrationId: string) {
    return this.#services.rollbackManager.createCheckpoint(migrationId);
  }

  /** Finishes the run a checkpoint recorded, or says why it cannot. */
  async resumeFromCheckpoint(checkpointPath: string) {
    return this.#services.rollbackManager.resumeFromCheckpoint(checkpointPath);
  }

  /** The progress of the current or last run (null before any run). */
  getCurrentProgress(): MigrationProgress | null {
    const progress = this.#runner?.getCurrentProgress() ?? null;
    if (progress && this.#rolledBack) progress.status = 'rolled_back';
    return progress;
  }

  async #finish(before: MigrationStatus, result: RunResult): Promise<MigrationExecutionResult> {
    let after: MigrationStatus | null = before;
    try {
      if (!result.dryRun) after = await readStatus(this.#ctx.connection, await this.#ctx.loadMigrations());
    } catch (error) {
      // after a failed run, the run's error is the one to throw, not a status that cannot be read
      if (!result.error) throw error;
      after = null;
    }
    const done: MigrationExecutionResult = {
      success: !result.error,
      dryRun: result.dryRun,
      fromMVP: before.currentMvp,
      toMVP: after?.currentMvp ?? before.currentMvp,
      fromVersion: result.fromVersion,
      toVersion: result.dryRun ? result.targetVersion : result.error ? (after?.currentVersion ?? result.toVersion) : result.toVersion,
      durationMs: result.durationMs,
      migrations: result.results,
      repeatables: result.repeatables ?? [],
      extras: result.extras,
    };
    if (result.error) throw failureOf({ ...done, error: result.error }, 'MIGRATION_FAILED', 'The migration run did not finish');
    return done;
  }

  /** Checks that every applied migration is still present and unchanged. */
  async validateMigrationIntegrity(): Promise<{ isValid: boolean; problems: MigrationStatus['problems'] }> {
    const status = await this.status();
    return { isValid: !status.problems.some((p) => p.severity === 'error'), problems: status.problems };
  }
}

function describeTarget(target: MigrationTarget): string {
  if ('latest' in target) return 'latest';
  if ('version' in target) return `version ${target.version}`;
  return `MVP${target.mvp}`;
}
