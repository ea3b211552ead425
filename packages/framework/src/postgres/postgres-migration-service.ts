import {
  type DialectMigrator,
  type DialectRunResult,
  type MigrationEvents,
  type MigrationProgress,
  type MigrationStatus,
  type MigrationTarget,
  type PostgresBaselineResult,
  baselinePostgres,
  downVersions,
  failureOf,
  isMfmigError,
  resolveTargetVersion,
  upSteps,
} from '@mfmig/core';
import { type PgCheckpoint, type PgResume, createPgCheckpointParticipant } from '@mfmig/rollback';
import type { ExecuteMigrationOptions, MigrationExecutionResult } from '../migration-service.js';
import { type UpgradePathAnalysis, assertMilestone, upgradePath } from '../upgrade-path.js';
import type { ToolAdoption } from '../adoption/tool-adoption.js';
import { adoptBeforePostgresRun } from './postgres-adoption-before-run.js';
import { revertFailedPostgresRun } from './postgres-failed-run-revert.js';
import { postgresParticipants } from './postgres-participants.js';
import { postgresExecutionResult } from './postgres-execution-result.js';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import type { PostgresRollbackManager, PostgresRollbackResult } from './postgres-rollback-manager.js';
import { type PostgresRunValidations, postgresRunValidation } from './postgres-run-validation.js';
import type { PostgresValidationService } from './postgres-validation-service.js';

/** A PostgreSQL run as the SQLite framework reports one, with the validations around it and its checkpoint. */
export type PostgresExecutionResult = MigrationExecutionResult & PostgresRunValidations & { checkpoint: PgCheckpoint | null };

/** The options of a PostgreSQL run: the SQLite ones but `plan` and `heldLock`, which have no PostgreSQL counterpart here. */
export type PostgresExecuteOptions = Omit<ExecuteMigrationOptions, 'plan' | 'heldLock'>;

/**
 * `framework.migrationService` on PostgreSQL: the run of the SQLite framework (validation before
 * and after under the run's lock, a `pg_dump` checkpoint on request, one transaction per migration
 * with its history row, the transformations and rollback preservation, the run taken back on
 * failure on request) on a session of its own per call.
 *
 * @example
 * const results = await framework.migrationService.executeMVPMigration(3, { createCheckpoints: true, enableRollback: true });
 * results.toMVP; // 3
 */
export class PostgresMigrationService {
  readonly #ctx: PostgresFrameworkContext;
  readonly #validation: PostgresValidationService;
  readonly #rollback: PostgresRollbackManager;
  #runner: DialectMigrator | undefined;
  #rolledBack = false;

  constructor(ctx: PostgresFrameworkContext, services: { validation: PostgresValidationService; rollbackManager: PostgresRollbackManager }) {
    this.#ctx = ctx;
    this.#validation = services.validation;
    this.#rollback = services.rollbackManager;
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

  /** Where the schema stands: current version and milestone, applied, pending, problems. Reads only. */
  async status(): Promise<MigrationStatus> {
    const migrations = await this.#ctx.migrations('metadata');
    return this.#ctx.session('read', (conn) => this.#ctx.runner(conn, migrations, { preserve: false }).status());
  }

  /** The migrations to run per milestone to reach `targetMVP` (up or down). Reads only. */
  async analyzeMVPUpgradePath(targetMVP: number): Promise<UpgradePathAnalysis> {
    const target = assertMilestone(targetMVP);
    const migrations = await this.#ctx.migrations('metadata');
    const status = await this.status();
    const targetVersion = resolveTargetVersion(migrations, { mvp: target });
    const down = targetVersion < status.currentVersion && target < status.currentMvp;
    const applied = new Set(status.applied.map((a) => a.version));
    const steps = down ? downVersions(applied, targetVersion).flatMap((v) => migrations.byVersion.get(v) ?? []) : upSteps(migrations, applied, targetVersion);
    return upgradePath(status, target, targetVersion, steps, down);
  }

  /** Brings the schema up to milestone `targetMVP` (see {@link migrateTo}). */
  async executeMVPMigration(targetMVP: number, options: PostgresExecuteOptions = {}): Promise<PostgresExecutionResult> {
    return this.migrateTo({ mvp: assertMilestone(targetMVP) }, options);
  }

  /**
   * Brings the schema to any target. A refusal throws before anything ran; a run that fails throws
   * its `MfmigError` with this result (`success: false`, `error`) as `result`. A new problem found
   * by the post-migration validation always takes the run back, as on SQLite.
   */
  async migrateTo(target: MigrationTarget, options: PostgresExecuteOptions = {}): Promise<PostgresExecutionResult> {
    const migrations = await this.#ctx.migrations('import');
    const dryRun = options.dryRun === true;
    return this.#ctx.session(dryRun ? 'plain' : 'run', async (conn) => {
      const checks = options.validateIntegrity !== false && !dryRun ? postgresRunValidation(this.#validation) : null;
      let checkpoint: PgCheckpoint | null = null;
      const checkpoints =
        options.createCheckpoints === true && !dryRun
          ? [createPgCheckpointParticipant({ url: this.#ctx.url, folder: this.#ctx.backupFolder, onTaken: (c) => (checkpoint = c) })]
          : [];
      // another tool's history is adopted first (a dry run reads it as adopted): the run goes on from there
      const { adoption, connection } = await adoptBeforePostgresRun(this.#ctx.url, conn, migrations, {
        dryRun,
        participants: postgresParticipants({ preserve: false }),
        ...(this.#ctx.config.lockTimeout === undefined ? {} : { lockTimeoutMs: this.#ctx.config.lockTimeout }),
      });
      const m = this.#ctx.runner(connection, migrations, { preserve: true, extra: [...checkpoints, ...(checks ? [checks.participant] : [])] });
      this.#runner = m;
      this.#rolledBack = false;
      // a schema made before mfmig is refused whole, before the lock row or the history tables are written
      await m.assertAdopted();
      const command = `migrate to ${describeTarget(target)}`;
      const result: DialectRunResult = await m.migrate(target, {
        dryRun,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.acceptChecksums ? { acceptChecksums: options.acceptChecksums } : {}),
        command,
      });
      const interrupted = isMfmigError(result.error) && result.error.code === 'INTERRUPTED';
      const validationFailed = isMfmigError(result.error) && result.error.code === 'VALIDATION_FAILED' && result.error.context.stage === 'post-migration';
      if (result.error && (options.enableRollback === true || validationFailed) && !interrupted && !dryRun) {
        const revert = await revertFailedPostgresRun(conn, m, result, {
          url: this.#ctx.url,
          folder: this.#ctx.backupFolder,
          checkpoint,
          command: `${command} (rollback on failure)`,
          ...(this.#ctx.config.lockWait ? { lockWait: this.#ctx.config.lockWait } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (revert && revert.outcome !== 'failed') {
          this.#rolledBack = true;
          m.markRolledBack();
        }
      }
      if (adoption) result.extras.adoption = adoption;
      // after a failed run, the run's error is the one to throw, not a status that cannot be read (a lost connection)
      const after = await m.status().catch((error: unknown) => {
        if (result.error) return null;
        throw error;
      });
      const done: PostgresExecutionResult = { ...postgresExecutionResult(result, after, m), ...checks?.found, checkpoint };
      if (result.error) throw failureOf({ ...done, error: result.error }, 'MIGRATION_FAILED', 'The migration run did not finish');
      return done;
    });
  }

  /**
   * Adopts the history another migration tool (dbmate, golang-migrate, Flyway, sqlx, Prisma,
   * Kysely, knex) left in the schema, once, while mfmig's is empty (see `adoptPostgresToolHistory`);
   * `migrateTo` does it first by itself. Null when there is nothing to adopt.
   */
  async adoptToolHistory(): Promise<ToolAdoption | null> {
    return this.#adoption(false);
  }

  /** What {@link adoptToolHistory} would record, writing nothing. */
  async analyzeToolAdoption(): Promise<ToolAdoption | null> {
    return this.#adoption(true);
  }

  async #adoption(dryRun: boolean): Promise<ToolAdoption | null> {
    const migrations = await this.#ctx.migrations('import');
    return this.#ctx.session(dryRun ? 'read' : 'run', async (conn) => {
      const options = { dryRun, participants: postgresParticipants({ preserve: false }) };
      return (await adoptBeforePostgresRun(this.#ctx.url, conn, migrations, options)).adoption;
    });
  }

  /**
   * Adopts a schema made before mfmig (no tool's history in it) at the version whose rehearsed
   * schema equals the live one, or at `to` (`force` when its schema differs): every migration up to
   * it is recorded as applied, none run (see `baselinePostgres`). `dryRun` writes nothing.
   */
  async baseline(options: { to?: number; force?: boolean; dryRun?: boolean } = {}): Promise<PostgresBaselineResult> {
    const migrations = await this.#ctx.migrations('import');
    return this.#ctx.session('plain', (conn) =>
      baselinePostgres(conn, this.#ctx.url, migrations, {
        ...(options.to === undefined ? {} : { to: options.to }),
        force: options.force === true,
        dryRun: options.dryRun === true,
        participants: postgresParticipants({ preserve: false }),
        ...(this.#ctx.config.lockTimeout === undefined ? {} : { lockTimeoutMs: this.#ctx.config.lockTimeout }),
      }),
    );
  }

  /** What {@link baseline} would record, writing nothing. */
  async analyzeBaseline(options: { to?: number } = {}): Promise<PostgresBaselineResult> {
    return this.baseline({ ...options, dryRun: true });
  }

  /** Takes the schema down to milestone `targetMVP`, archiving the rows the downs drop (unless `preserveUserData: false`). */
  async rollbackMVPMigration(targetMVP: number, options: { preserveUserData?: boolean; validateRollback?: boolean } = {}): Promise<PostgresRollbackResult> {
    return this.#rollback.rollbackTo({ mvp: assertMilestone(targetMVP) }, options);
  }

  /** A checkpoint of the schema: a verified `pg_dump` and the run position up to `target` (default: the latest migration). */
  async createCheckpoint(migrationId: string, target: MigrationTarget = { latest: true }): Promise<PgCheckpoint> {
    return this.#rollback.createCheckpoint(migrationId, target);
  }

  /**
   * Finishes the run a checkpoint (its id or manifest path) recorded, restoring its dump first when
   * the schema left the run's path (`restore: 'auto'`, the default); a failed run throws its error.
   */
  async resumeFromCheckpoint(ref: string, options: { restore?: 'auto' | 'always' | 'never'; signal?: AbortSignal } = {}): Promise<PgResume> {
    return this.#rollback.resumeFromCheckpoint(ref, options);
  }

  /** The progress of the current or last run (null before any run); `rolled_back` after a run taken back. */
  getCurrentProgress(): MigrationProgress | null {
    const progress = this.#runner?.getCurrentProgress() ?? null;
    if (progress && this.#rolledBack) progress.status = 'rolled_back';
    return progress;
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
