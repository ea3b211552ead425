import {
  type DialectParticipant,
  type DialectRunResult,
  type DownTarget,
  MfmigError,
  type MigrationTarget,
  type ParticipantReport,
  failureOf,
} from '@mfmig/core';
import {
  type ArchiveRecord,
  type EmergencyRollbackResult,
  type EmergencyType,
  type PgCheckpoint,
  type PgDumpBackup,
  type PgDumpRestoreResult,
  type PgResume,
  type PostgresRollbackPlan,
  type RollbackCapability,
  type PutBackOptions,
  type PutBackResult,
  archiveHistory,
  planPostgresRollback,
  putBackArchive,
} from '@mfmig/rollback';
import { createConnectionTransformer } from '@mfmig/transformer';
import type { PostgresValidationDocument } from '@mfmig/validation';
import { createPostgresBackup, executePostgresEmergency, listPostgresBackups, restorePostgresBackup } from './postgres-backups.js';
import { createPostgresCheckpoint, listPostgresCheckpoints, resumePostgresCheckpoint } from './postgres-checkpoints.js';
import { postgresRollbackCapability } from './postgres-rollback-capability.js';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import type { PostgresValidationService } from './postgres-validation-service.js';

/** Rows per table a rollback plan copies into its rehearsal, as `mfmig rollback --plan-only`. */
const PLAN_SAMPLE_ROWS = 10_000;

/** Options of {@link PostgresRollbackManager.executeRollbackPlan}. */
export interface PostgresRollbackOptions {
  /** Archive every row a down drops (in `mfmig_archive`) before it runs, in the same transaction. Default true. */
  preserveUserData?: boolean;
  /** Validate the schema afterwards; its report is the result's `validation`. Default true. */
  validateRollback?: boolean;
  signal?: AbortSignal;
}

/** What a rollback did. Thrown as the `result` of its `MfmigError` when a down failed (`success: false`). */
export interface PostgresRollbackResult {
  success: boolean;
  fromVersion: number;
  targetVersion: number;
  /** Where the schema is now. */
  toVersion: number;
  durationMs: number;
  steps: DialectRunResult['results'];
  /** What each down's preservation archived. */
  preserved: ParticipantReport[];
  validation: PostgresValidationDocument | null;
  plan: PostgresRollbackPlan;
  error?: Error;
}

/**
 * `framework.rollbackManager` on PostgreSQL: plans rehearsed on a sample in a scratch schema
 * (nothing live is written), rollbacks whose downs archive what they drop, and the archives.
 *
 * @example
 * const plan = await framework.rollbackManager.createRollbackPlan(20);
 * const result = await framework.rollbackManager.executeRollbackPlan(plan, { preserveUserData: true, validateRollback: true });
 */
export class PostgresRollbackManager {
  readonly #ctx: PostgresFrameworkContext;
  readonly #validation: PostgresValidationService;

  constructor(ctx: PostgresFrameworkContext, validation: PostgresValidationService) {
    this.#ctx = ctx;
    this.#validation = validation;
  }

  /**
   * The plan of a rollback to a version (or `{ mvp }`, `{ steps }`): per down what it drops and how
   * many rows, from a rehearsal on a sample of the live rows in a scratch schema (dropped after),
   * its risk and estimate; `blocked` says why it cannot run.
   */
  async createRollbackPlan(
    target: number | DownTarget,
    options: { preserveUserData?: boolean; sampleRows?: number; signal?: AbortSignal } = {},
  ): Promise<PostgresRollbackPlan> {
    const migrations = await this.#ctx.migrations('import');
    return this.#ctx.session('plain', (conn) =>
      planPostgresRollback(this.#ctx.url, conn, migrations, typeof target === 'number' ? { version: target } : target, {
        sampleRows: options.sampleRows ?? PLAN_SAMPLE_ROWS,
        preserve: options.preserveUserData !== false,
        participants: [createConnectionTransformer()],
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  }

  /**
   * Carries out a plan: refused when it is blocked or the schema moved since it was made; the downs
   * run newest first, each in its own transaction with the removal of its history row, and what
   * they drop is archived first (unless `preserveUserData: false`); then the schema is validated.
   */
  async executeRollbackPlan(plan: PostgresRollbackPlan, options: PostgresRollbackOptions = {}): Promise<PostgresRollbackResult> {
    if (plan.blocked) throw new MfmigError('ROLLBACK_FAILED', `The rollback to version ${plan.targetVersion} is blocked: ${plan.blocked}`);
    const migrations = await this.#ctx.migrations('import');
    const result = await this.#ctx.session('run', async (conn) => {
      // checked under the run's lock, before the first down: another runner may move the schema until then
      const samePosition: DialectParticipant = {
        name: 'framework-rollback-plan-position',
        async beforeRun(run) {
          if (run.fromVersion !== plan.fromVersion) {
            throw new MfmigError(
              'ROLLBACK_FAILED',
              `The plan was made at version ${plan.fromVersion}, and the schema is at version ${run.fromVersion} now; make a new plan`,
            );
          }
        },
      };
      const m = this.#ctx.runner(conn, migrations, { preserve: options.preserveUserData !== false, extra: [samePosition] });
      return m.rollback(
        { version: plan.targetVersion },
        { ...(options.signal ? { signal: options.signal } : {}), command: `rollback to version ${plan.targetVersion}` },
      );
    });
    const done: PostgresRollbackResult = {
      success: !result.error,
      fromVersion: result.fromVersion,
      targetVersion: plan.targetVersion,
      toVersion: result.toVersion,
      durationMs: result.durationMs,
      steps: result.results,
      preserved: result.reports.filter((r) => r.kind === 'preserved'),
      validation: null,
      plan,
    };
    if (result.error) throw failureOf({ ...done, error: result.error }, 'ROLLBACK_FAILED', 'The rollback did not finish');
    if (options.validateRollback !== false) done.validation = await this.#validation.performComprehensiveValidation();
    return done;
  }

  /** Plans and carries out a rollback (see {@link createRollbackPlan} and {@link executeRollbackPlan}). */
  async rollbackTo(target: number | DownTarget, options: PostgresRollbackOptions = {}): Promise<PostgresRollbackResult> {
    const plan = await this.createRollbackPlan(target, {
      ...(options.preserveUserData === undefined ? {} : { preserveUserData: options.preserveUserData }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return this.executeRollbackPlan(plan, options);
  }

  /** A verified `pg_dump` of the schema in `<backupPath>/postgres` (see `createPostgresBackup`). */
  async createBackup(options: { label?: string; verify?: boolean } = {}): Promise<PgDumpBackup & { warnings: string[] }> {
    return createPostgresBackup(this.#ctx, options);
  }

  /** This schema's `pg_dump` backups in the backup folder, oldest first. */
  async listBackups(): Promise<PgDumpBackup[]> {
    return listPostgresBackups(this.#ctx);
  }

  /**
   * Restores one of this schema's `pg_dump` backups (id or record) over it, the schema as it was
   * dumped aside first unless `saveAside: false` (see `restorePostgresBackup`).
   */
  async restoreBackup(ref: string | PgDumpBackup, options: { saveAside?: boolean; allowOtherDatabase?: boolean } = {}): Promise<PgDumpRestoreResult> {
    return restorePostgresBackup(this.#ctx, ref, options);
  }

  /** Missing downs, irreversible migrations and transformations, the dumps to fall back on. Runs nothing (see `postgresRollbackCapability`). */
  async validateRollbackCapability(target: number | DownTarget): Promise<RollbackCapability<PgDumpBackup>> {
    return postgresRollbackCapability(this.#ctx, target);
  }

  /** A checkpoint: a verified `pg_dump` and the run position up to `target`, default the latest (see `createPostgresCheckpoint`). */
  async createCheckpoint(migrationId: string, target: MigrationTarget = { latest: true }): Promise<PgCheckpoint> {
    return createPostgresCheckpoint(this.#ctx, migrationId, target);
  }

  /**
   * Finishes the run a checkpoint (its id or manifest path) recorded, restoring its dump first when
   * the schema left the run's path (`restore: 'auto'`, the default); a failed run throws its error.
   */
  async resumeFromCheckpoint(ref: string, options: { restore?: 'auto' | 'always' | 'never'; signal?: AbortSignal } = {}): Promise<PgResume> {
    const resumed = await resumePostgresCheckpoint(this.#ctx, ref, options);
    if (resumed.run.error) throw resumed.run.error;
    return resumed;
  }

  /** This schema's checkpoints, oldest first. */
  async listCheckpoints(): Promise<PgCheckpoint[]> {
    return listPostgresCheckpoints(this.#ctx);
  }

  /** The fastest safe way back to the last good state (see `executePostgresEmergency`). */
  async executeEmergencyRollback(type: EmergencyType, options: { signal?: AbortSignal } = {}): Promise<EmergencyRollbackResult> {
    return executePostgresEmergency(this.#ctx, type, options);
  }

  /** The archives of this schema, restored ones included, oldest first (what `mfmig archives --all` lists). Reads only. */
  async listArchives(): Promise<ArchiveRecord[]> {
    return this.#ctx.session('read', (conn) => archiveHistory(conn, conn.schema));
  }

  /** Puts back the rows of archive `id` whose key the table does not hold (what `mfmig archives --restore` does). */
  async putBackArchive(id: number, options: PutBackOptions = {}): Promise<PutBackResult> {
    return this.#ctx.session('plain', (conn) => putBackArchive(conn, id, options));
  }
}
