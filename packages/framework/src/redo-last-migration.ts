import { MfmigError, type MigrationStatus, failureOf, isMfmigError, migrationLabel } from '@mfmig/core';
import type { RollbackExecutionResult, RollbackManager, RollbackPlan } from '@mfmig/rollback';
import type { MigrationExecutionResult, MigrationService } from './migration-service.js';

/** What a redo needs: the framework's rollback and migration services. */
export interface RedoServices {
  rollbackManager: RollbackManager;
  migrationService: MigrationService;
  /** How long to wait for another runner's lock, in ms (default 10 s). */
  lockTimeout?: number;
}

/** The plan of a redo: the migration undone and applied again, and the rollback plan of its down. */
export interface RedoPlan {
  migration: { version: number; name: string; mvp: number };
  rollback: RollbackPlan;
}

/**
 * What a redo did. Returned when it succeeded; when it stopped after the rollback began, it is the
 * thrown `MfmigError`'s `result`, with `error`, and `reapplied` null when the up did not succeed.
 */
export interface RedoResult {
  success: boolean;
  migration: RedoPlan['migration'];
  rollback: RollbackExecutionResult;
  reapplied: MigrationExecutionResult | null;
  error?: Error;
}

/**
 * Refuses a redo from what `status` says, on either dialect: an edited or missing applied
 * migration (its status problem, `CHECKSUM_MISMATCH` or `MIGRATION_MISSING`), and nothing applied
 * (`USAGE`).
 *
 * @example
 * assertRedoStatus(await migrator.status());
 */
export function assertRedoStatus(status: MigrationStatus): void {
  const blocking = status.problems.find((p) => p.code === 'CHECKSUM_MISMATCH' || p.code === 'MIGRATION_MISSING');
  if (blocking) {
    throw new MfmigError(
      blocking.code as 'CHECKSUM_MISMATCH' | 'MIGRATION_MISSING',
      `${blocking.message}; nothing was redone (\`mfmig status\` lists the problems)`,
      {
        context: { version: blocking.version },
      },
    );
  }
  if (status.applied.length === 0) throw new MfmigError('USAGE', 'Nothing to redo: no migration is applied');
}

/**
 * Plans `redo`: rolling back the newest applied migration and applying it again. Changes
 * nothing. Refuses, before anything is written: nothing applied (`USAGE`); a last migration
 * without a down, marked irreversible or only undoable by a restore (`NO_DOWN_MIGRATION`); an
 * edited or missing applied migration (its status problem, `CHECKSUM_MISMATCH` or
 * `MIGRATION_MISSING`); and pending migrations below it, which applying it again would also
 * apply (`REDO_REFUSED`).
 *
 * @example
 * const plan = await planRedo(framework);
 * plan.migration.version; // 7
 */
export async function planRedo(services: RedoServices): Promise<RedoPlan> {
  const migrator = await services.rollbackManager.context.migrator();
  assertRedoStatus(migrator.status());
  const rollback = await services.rollbackManager.createRollbackPlan({ steps: 1 });
  const step = rollback.steps[0]!;
  const migration = { version: step.version, name: step.name, mvp: step.mvp };
  if (!step.hasDown || !step.reversible || rollback.strategy === 'full-restore') {
    const why = !step.hasDown ? 'has no down migration' : (step.irreversibleReasons[0] ?? 'cannot be undone by its down migration');
    throw new MfmigError('NO_DOWN_MIGRATION', `Cannot redo ${migrationLabel(step)}: it ${why}; nothing was changed`, { context: { version: step.version } });
  }
  const below = migrator.pendingSteps({ version: step.version }).filter((m) => m.version !== step.version);
  if (below.length > 0) {
    throw new MfmigError(
      'REDO_REFUSED',
      `Cannot redo ${migrationLabel(step)}: applying it again would also apply pending ${below.map((m) => m.version).join(', ')} below it; apply them first with \`mfmig migrate\`, nothing was changed`,
      { context: { version: step.version } },
    );
  }
  return { migration, rollback };
}

/**
 * Carries out a redo plan: the rollback of the last migration with everything a rollback does
 * (the plan still matching the database, an integrity check, a verified backup, the dropped rows
 * archived, validation after), then the same migration applied again the way `migrateTo` applies
 * one (backup, validation, the archived rows put back by the preservation plugin). One run lock
 * is held from before the rollback until the migration is applied again, so no other runner
 * gets in between. When the rollback fails the up is not attempted. When it stops after the
 * rollback began, it throws the failure's `MfmigError` with this result as `error.result`.
 *
 * @example
 * const result = await redoLastMigration(framework, await planRedo(framework));
 * result.success; // true: version 7 was rolled back and applied again
 */
export async function redoLastMigration(services: RedoServices, plan: RedoPlan, options: { signal?: AbortSignal } = {}): Promise<RedoResult> {
  const ctx = services.rollbackManager.context;
  const { lock } = ctx.connection;
  const label = migrationLabel(plan.migration);
  await lock.acquire({
    timeoutMs: services.lockTimeout ?? 10_000,
    command: `redo ${label}`,
    onWait: (holder) => ctx.events.emit('lockWaiting', { holder: `pid ${holder.pid} on ${holder.host}` }),
  });
  try {
    const base = { success: false, migration: plan.migration, reapplied: null };
    let rollback: RollbackExecutionResult;
    try {
      rollback = await services.rollbackManager.executeRollbackPlan(plan.rollback, { preserveUserData: true, signal: options.signal, heldLock: lock });
    } catch (error) {
      if (!isMfmigError(error) || error.result === undefined) throw error;
      throw failureOf({ ...base, rollback: error.result as RollbackExecutionResult, error }, 'ROLLBACK_FAILED', `The rollback of ${label} did not finish`);
    }
    try {
      const reapplied = await services.migrationService.migrateTo({ version: plan.migration.version }, { signal: options.signal, heldLock: lock });
      return { ...base, success: true, rollback, reapplied };
    } catch (error) {
      const failed: RedoResult = { ...base, rollback, error: error instanceof Error ? error : new Error(String(error)) };
      throw failureOf(failed, 'MIGRATION_FAILED', `${label} was rolled back and not applied again`);
    }
  } finally {
    await lock.release();
  }
}
