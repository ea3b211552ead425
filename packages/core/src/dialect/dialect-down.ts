import type { TableRebuilder } from '../runner/migration-plugin.js';
import { assertCodeLoaded } from '../migration/metadata-only-module.js';
import { MfmigError } from '../errors/index.js';
import type { RunEvents } from './dialect-run-events.js';
import { type Migration, type MigrationSet, fileLineOf, migrationLabel, runsInTransaction } from '../migration/index.js';
import type { MigrationStatus } from '../runner/migration-status.js';
import { type MigrationTarget, downVersions, noneVersion, resolveTargetVersion } from '../runner/migration-target.js';
import type { RunnableConnection, ScriptStatement } from './dialect.js';
import type { DialectParticipant, DialectStep } from './dialect-participant.js';
import type { DialectRunResult } from './dialect-migrator.js';
import { item, stepError } from './dialect-step-errors.js';
import type { LockWaitPolicy } from './lock-wait-policy.js';
import { moduleContext } from './module-context.js';
import type { RunMetrics } from './dialect-run-metrics.js';
import { runGuardedBody, withStepSettings } from './guarded-body.js';
import { inRetriedTransaction } from './retried-transaction.js';
import { assertDryRunnable, dryRunInOneTransaction, dryRunStepsOnCopy, switchesForeignKeys } from './dry-run.js';

/** Where a rollback ends: a version, a milestone, or the last `steps` applied migrations. */
export type DownTarget = Exclude<MigrationTarget, { latest: true }> | { steps: number };

/** What the down steps need from the runner that owns them. */
export interface DownKit {
  connection: RunnableConnection;
  migrations: MigrationSet;
  /** The run's events and progress. */
  events: RunEvents;
  lockWait: LockWaitPolicy;
  participants: readonly DialectParticipant[];
  /** The run's metrics: each down step's row is written in its transaction. */
  metrics: RunMetrics;
  stepFor(m: Migration, direction: 'down', participant?: string): DialectStep;
  runStatements(step: { migration: Migration; statements?: ScriptStatement[] }, ran: string[], retryEach: boolean): Promise<void>;
  waitBeforeRetry(m: Migration, attempt: number): Promise<void>;
  /** What performs `ctx.rebuildTable` under the step guard (see `DialectMigratorOptions.rebuildTable`). */
  rebuildTable?: TableRebuilder;
  /** A dry run: every down runs in one transaction that is rolled back, or on a copy (see {@link rehearseDowns}). */
  dryRun: boolean;
  /** The same kit on another connection (a copy the dry run rehearses on). */
  rebind(connection: RunnableConnection): DownKit;
}

/** One migration to revert, as {@link prepareDown} readies it. */
export interface DownStep {
  migration: Migration;
  statements?: ScriptStatement[];
  transactional: boolean;
}

/**
 * The version a rollback target stands for, refusing one above the current version.
 *
 * @example
 * downTargetVersion(set, status, { steps: 2 }); // the version below the last two applied
 */
export function downTargetVersion(set: MigrationSet, status: MigrationStatus, target: DownTarget): number {
  const applied = status.applied.map((a) => a.version).sort((a, b) => b - a);
  if ('steps' in target) {
    if (!Number.isSafeInteger(target.steps) || target.steps < 1)
      throw new MfmigError('USAGE', `--step must be a whole number >= 1, not ${String(target.steps)}`);
    return applied[target.steps] ?? noneVersion(set);
  }
  const version = resolveTargetVersion(set, target);
  if (version > status.currentVersion) {
    throw new MfmigError('USAGE', `Target version ${version} is above the current version ${status.currentVersion}; use migrate to go up`);
  }
  return version;
}

/**
 * Reverts the applied migrations above the target, newest first. Every step is checked before
 * the first one runs: a missing file, a migration without a down section, a non-transactional
 * statement in a transactional down, or declared transformations without a participant to
 * reverse them refuse the whole rollback. Each step runs in its own transaction with the removal
 * of its history row (and its `down` metrics row when the run records metrics), and with
 * lock-timeout retries as an up step.
 *
 * `ready` is called once every step is readied, after `runStarted` and before the first step runs (the run's `beforeRun` hooks).
 *
 * @example
 * await runDown(kit, status, { mvp: 2 }, runId, result, signal);
 */
export async function runDown(
  kit: DownKit,
  status: MigrationStatus,
  target: DownTarget,
  runId: string,
  result: DialectRunResult,
  signal?: AbortSignal,
  ready?: (steps: readonly Migration[]) => Promise<void>,
): Promise<void> {
  const targetVersion = downTargetVersion(kit.migrations, status, target);
  result.targetVersion = targetVersion;
  const steps = await prepareDown(
    kit,
    downVersions(
      status.applied.map((a) => a.version),
      targetVersion,
    ),
  );
  kit.events.runStarted({ runId, direction: 'down', fromVersion: status.currentVersion, targetVersion, totalSteps: steps.length, dryRun: kit.dryRun });
  await ready?.(steps.map((s) => s.migration));
  if (kit.dryRun) return rehearseDowns(kit, steps, result);
  for (const [index, step] of steps.entries()) {
    const m = step.migration;
    if (signal?.aborted) {
      throw new MfmigError('INTERRUPTED', `Interrupted before reverting ${migrationLabel(m)}; run the same command again to continue`);
    }
    kit.events.migrationStarted(m, 'down', index, steps.length);
    const start = performance.now();
    kit.metrics.start();
    const ran: string[] = [];
    const reported = result.reports.length;
    try {
      await downStep(kit, step, ran, result);
      const durationMs = performance.now() - start;
      result.results.push({ ...item(m, 'Success', durationMs, 'down'), rows: kit.metrics.rows, statements: ran });
      kit.events.migrationCompleted(m, 'down', index, steps.length, durationMs, kit.metrics.rows);
    } catch (error) {
      if (step.transactional) result.reports.length = reported;
      const wrapped = stepError(error, m, step.transactional, 'down');
      if (wrapped.code !== 'INTERRUPTED') await kit.connection.history.recordFailure(m.version, 'down', wrapped.message).catch(() => {});
      kit.events.migrationFailed(m, 'down', wrapped);
      result.results.push({ ...item(m, 'Error', performance.now() - start, 'down'), statements: ran, error: wrapped });
      for (const rest of steps.slice(index + 1)) result.results.push(item(rest.migration, 'NotExecuted', 0, 'down'));
      throw wrapped;
    }
  }
}

/**
 * Readies the downs of `versions`, in that order, refusing the whole list before anything runs:
 * a missing file, a migration without a down (or irreversible), declared transformations without
 * a participant to reverse them, a participant that needs a transaction the down does not have,
 * or a statement that cannot run in the down's transaction.
 *
 * @example
 * const [step] = await prepareDown(kit, [5]);
 */
export async function prepareDown(kit: DownKit, versions: number[]): Promise<DownStep[]> {
  const steps: DownStep[] = [];
  for (const version of versions) {
    const m = kit.migrations.byVersion.get(version);
    if (!m) throw new MfmigError('MIGRATION_MISSING', `Applied migration version ${version} is missing from the migrations folder; it cannot be reverted`);
    // every down is prepared before the first runs: a module read for its metadata only is refused here
    assertCodeLoaded([m], 'down');
    if (!m.down || m.irreversible) {
      throw new MfmigError('NO_DOWN_MIGRATION', `Migration ${migrationLabel(m)} has no down migration; it cannot be reverted (restore a backup instead)`, {
        context: { version: m.version, migration: m.name, file: m.file },
      });
    }
    if (m.transformations.length > 0 && !kit.participants.some((p) => p.runsTransformations)) {
      throw new MfmigError(
        'TRANSFORMATION_INVALID',
        `Migration ${migrationLabel(m)} declares data transformations, and this rollback has no participant that reverses them`,
        {
          context: { version: m.version, file: m.file },
        },
      );
    }
    const transactional = runsInTransaction(m, 'down', kit.connection.capabilities);
    const statements =
      m.kind === 'sql' ? (await kit.connection.analyzeScript(m.downSql ?? '')).map((s) => ({ ...s, line: fileLineOf(m, 'down', s.line) })) : undefined;
    // a down of index drops, VACUUM and the like loses nothing: there is nothing to archive first
    const losesNothing = statements !== undefined && statements.every((s) => s.keepsData === true);
    const needy = transactional || losesNothing ? undefined : kit.participants.find((p) => p.needsTransaction);
    if (needy) {
      const why = kit.connection.capabilities.transactionalDdl
        ? 'its down section says "transaction: none"'
        : `${kit.connection.target} does not roll DDL back with a transaction`;
      throw new MfmigError(
        'USAGE',
        `Migration ${migrationLabel(m)} cannot be reverted with ${needy.name}: ${why}, so what its down drops cannot be archived first. Back up, then roll back with --no-preserve-data`,
        { context: { version: m.version, file: m.file } },
      );
    }
    if (statements === undefined) {
      steps.push({ migration: m, transactional });
      continue;
    }
    const refused = transactional && kit.connection.capabilities.nonTransactionalStatements ? statements.find((s) => s.nonTransactional) : undefined;
    if (refused) {
      throw new MfmigError(
        'MIGRATION_INVALID',
        `Migration ${migrationLabel(m)}, down, line ${refused.line}: ${refused.nonTransactional}; give the down section "-- transaction: none" or move the statement`,
        { context: { version: m.version, file: m.file, line: refused.line } },
      );
    }
    steps.push({ migration: m, statements, transactional });
  }
  return steps;
}

/**
 * Runs one readied down with the removal of its history row: in its own transaction (retried on
 * lock timeouts), or statement by statement for a `transaction: none` down. Nothing happens when
 * the version has no history row (any more).
 *
 * @example
 * await downStep(kit, step, [], result);
 */
export async function downStep(kit: DownKit, step: DownStep, ran: string[], result: DialectRunResult): Promise<void> {
  await (step.transactional ? downInTransaction(kit, step, ran, result) : downWithoutTransaction(kit, step, ran, result.runId));
}

/** The losses the participants of one down attempt accounted for (see `DialectStep.accountLosses`). */
class Accounted {
  #tables: string[] | '*' = [];
  add(tables: readonly string[] | '*'): void {
    if (this.#tables === '*') return;
    this.#tables = tables === '*' ? '*' : [...this.#tables, ...tables.map((t) => t.toLowerCase())];
  }
  get tables(): readonly string[] | '*' {
    return this.#tables;
  }
}

/** The participant's view of a down step, with its accounting. */
function downStepOf(kit: DownKit, m: Migration, participant: string, accounted: Accounted): DialectStep {
  return { ...kit.stepFor(m, 'down', participant), accountLosses: (tables) => accounted.add(tables) };
}

/** The down's body: the participants' `beforeDown` hooks, the SQL or the module's down, their `afterDown` hooks. */
function downBody(
  kit: DownKit,
  step: DownStep,
  ran: string[],
  retryEach: boolean,
  runId: string,
  accounted = new Accounted(),
): (options?: { probe?: boolean }) => Promise<void> {
  // a probe is rolled back: what it reports or counts did not happen
  const viewOf = (p: DialectParticipant, probe: boolean | undefined): DialectStep => {
    const view = downStepOf(kit, step.migration, p.name, accounted);
    return probe ? { ...view, report: () => {}, countRows: () => {}, recordMetric: async () => {}, recordSchemaHash: () => {} } : view;
  };
  return async (options) => {
    ran.length = 0;
    for (const p of kit.participants) await p.beforeDown?.(viewOf(p, options?.probe));
    await downStatements(kit, step, ran, retryEach, runId, accounted, options?.probe === true);
    for (const p of kit.participants) await p.afterDown?.(viewOf(p, options?.probe));
  };
}

/** The SQL or the module's down itself, through the dialect's step guard where it has one; a probe counts nothing. */
async function downStatements(kit: DownKit, step: DownStep, ran: string[], retryEach: boolean, runId: string, accounted: Accounted, probe = false) {
  const guard = kit.connection.stepGuard;
  const onRows = (rows: number) => (probe ? undefined : kit.metrics.countRows(rows));
  if (guard) {
    await runGuardedBody(guard, step.migration, 'down', ran, {
      transactional: !retryEach,
      runId,
      dryRun: kit.dryRun,
      logger: { log() {} },
      onRows,
      onProgress: (p) => kit.stepFor(step.migration, 'down').progress(p),
      ...(kit.stepFor(step.migration, 'down').undoesFailedUp ? { undoesFailedUp: true } : {}),
      ...(kit.rebuildTable ? { rebuildTable: kit.rebuildTable } : {}),
      accounted: () => accounted.tables,
      ...(probe ? { probe: true } : {}),
    });
  } else if (step.statements) await kit.runStatements(step, ran, retryEach);
  else
    await step.migration.down!(kit.connection.kysely, moduleContext(kit.connection, step.migration, runId, { log() {} }, 'down', probe ? undefined : onRows));
}

/** The down's body inside the participants' `aroundDown` wraps, the first participant's the outermost. */
function wrappedDown(kit: DownKit, step: DownStep, ran: string[], runId: string): () => Promise<void> {
  const accounted = new Accounted();
  let work = downBody(kit, step, ran, false, runId, accounted);
  for (const p of [...kit.participants].reverse()) {
    if (!p.aroundDown) continue;
    const inner = work;
    work = (options) => (options?.probe ? inner(options) : p.aroundDown!(downStepOf(kit, step.migration, p.name, accounted), inner));
  }
  return () => work();
}

async function downInTransaction(kit: DownKit, step: DownStep, ran: string[], result: DialectRunResult): Promise<void> {
  await withStepSettings(kit.connection, step.migration.connection.down, () => downAttempts(kit, step, ran, result));
}

async function downAttempts(kit: DownKit, step: DownStep, ran: string[], result: DialectRunResult): Promise<void> {
  const conn = kit.connection;
  const m = step.migration;
  const reported = result.reports.length;
  const retry = {
    lockWait: kit.lockWait,
    waitBeforeRetry: (attempt: number) => kit.waitBeforeRetry(m, attempt),
    beforeAttempt: () => {
      kit.metrics.restart();
      result.reports.length = reported;
    },
  };
  try {
    await inRetriedTransaction(conn, retry, async () => {
      if (!(await conn.history.has(m.version))) {
        await conn.rollback();
        return;
      }
      await wrappedDown(kit, step, ran, result.runId)();
      await conn.history.remove(m.version);
      await conn.history.audit('rollback', m.version, `reverted ${migrationLabel(m)} (run ${result.runId})`);
      await kit.metrics.recordStep(m, 'down');
    });
  } catch (error) {
    result.reports.length = reported;
    throw error;
  }
}

/** A `transaction: none` down: its statements one by one (no participant can wrap it), then the history row goes. */
async function downWithoutTransaction(kit: DownKit, step: DownStep, ran: string[], runId: string): Promise<void> {
  const conn = kit.connection;
  if (!(await conn.history.has(step.migration.version))) return;
  await conn.setLockTimeout(kit.lockWait.lockTimeoutMs, 'session');
  try {
    await withStepSettings(conn, step.migration.connection.down, () => downBody(kit, step, ran, true, runId)());
  } finally {
    await conn.setLockTimeout(null, 'session');
  }
  await conn.history.remove(step.migration.version);
  await conn.history.audit('rollback', step.migration.version, `reverted ${migrationLabel(step.migration)} without a transaction (run ${runId})`);
  await kit.metrics.recordStep(step.migration, 'down');
}

/**
 * A dry run's downs: all of them, newest first, each with its participants' wraps (rollback
 * preservation measures what it would drop) and the removal of its history row, so that each
 * down sees what the ones before it left. Nothing is kept:
 * - they run in one transaction that is rolled back, where every down runs with the same
 *   foreign-key setting;
 * - downs that switch foreign keys (on SQLite the switch is a no-op inside a transaction, and a
 *   down that counts on `ON DELETE CASCADE` would leave orphans with them off) run each in its
 *   own transaction, with its own setting, on a copy of the database (`openCopy`), removed after.
 *
 * A `transaction: none` down is rehearsed in a transaction where every statement a migration may
 * hold runs in one (SQLite); elsewhere it cannot be rolled back, and the dry run is refused.
 *
 * @example
 * await rehearseDowns(kit, steps, result);
 */
export async function rehearseDowns(kit: DownKit, steps: readonly DownStep[], result: DialectRunResult): Promise<void> {
  const conn = kit.connection;
  assertDryRunnable(conn, steps, 'down');
  if (switchesForeignKeys(conn, steps, 'down')) {
    return dryRunStepsOnCopy(conn, steps, 'down', result, (copy) => {
      const onCopy = kit.rebind(copy);
      return { events: onCopy.events, work: (step, ran) => downAndHistory(onCopy, step, ran, result.runId) };
    });
  }
  await dryRunInOneTransaction(conn, steps, 'down', result, kit.events, (step, ran) => downAndHistory(kit, step, ran, result.runId));
}

/** A dry run's down with its participants' wraps, and the removal of its history row. */
async function downAndHistory(kit: DownKit, step: DownStep, ran: string[], runId: string): Promise<void> {
  await wrappedDown(kit, step, ran, runId)();
  await kit.connection.history.remove(step.migration.version);
}
