import type { Logger } from '../config/index.js';
import { isMfmigError } from '../errors/index.js';
import type { MigrationEventEmitter, MigrationEvents, MigrationProgress } from '../events/index.js';
import type { Migration } from '../migration/index.js';
import type { RunResult } from '../runner/migration-plugin.js';
import { ProgressTracker } from '../runner/progress-tracker.js';

type Direction = 'up' | 'down';

/**
 * The events of a run, in either direction, the `MigrationProgress` they add up to, and the
 * run's structured log lines, for both runners (`Migrator` and `DialectMigrator`), so that they
 * emit the same: `runStarted`; per step `migrationStarted` and `progressUpdated`, then
 * `migrationCompleted`, `migrationStepCompleted` and `progressUpdated` (or `migrationFailed`); at
 * the end `progressUpdated` with the run's status, then `runCompleted` or `runFailed`. The log
 * lines are `run.start`, `migration.start`, `migration.completed`, `migration.failed`,
 * `run.completed` and `run.failed`.
 *
 * @example
 * const events = new RunEvents(migrator.events, logger);
 * events.runStarted({ runId, direction: 'up', fromVersion: 0, targetVersion: 3, totalSteps: 3, dryRun: false });
 */
export class RunEvents {
  readonly #events: MigrationEventEmitter<MigrationEvents>;
  readonly #logger: Logger | undefined;
  readonly #progress = new ProgressTracker();

  constructor(events: MigrationEventEmitter<MigrationEvents>, logger?: Logger) {
    this.#events = events;
    this.#logger = logger;
  }

  /** The highest resident memory seen at a progress update of the current run, in bytes. */
  get peakMemory(): number {
    return this.#progress.peakMemory;
  }

  /** The progress of the current (or last) run, or null before any run. */
  snapshot(): MigrationProgress | null {
    return this.#progress.snapshot();
  }

  runStarted(data: MigrationEvents['runStarted']): void {
    this.#progress.start(data.runId, data.direction, data.totalSteps);
    this.#events.emit('runStarted', data);
    const { runId, direction, fromVersion: from, targetVersion: target, totalSteps: steps, dryRun } = data;
    this.#log('info', 'run.start', { runId, direction, from, target, steps, dryRun });
  }

  migrationStarted(m: Migration, direction: Direction, index: number, totalSteps: number): void {
    this.#events.emit('migrationStarted', { version: m.version, name: m.name, mvp: m.mvp, direction, step: index + 1, totalSteps });
    this.#events.emit('progressUpdated', this.#progress.update({ currentMigration: m }));
    this.#log('info', 'migration.start', { version: m.version, name: m.name, direction });
  }

  migrationCompleted(m: Migration, direction: Direction, index: number, totalSteps: number, durationMs: number, rows: number): void {
    this.#events.emit('migrationCompleted', { version: m.version, name: m.name, mvp: m.mvp, direction, durationMs });
    this.#events.emit('migrationStepCompleted', { step: index + 1, totalSteps, version: m.version, name: m.name, duration: durationMs });
    this.#events.emit('progressUpdated', this.#progress.update({ stepDone: true, rows }));
    this.#log('info', 'migration.completed', { version: m.version, name: m.name, direction, durationMs: Math.round(durationMs), rows });
  }

  /** A step of a dry run went through (in the transaction that is rolled back): progress only. */
  dryRunStep(m: Migration): void {
    this.#events.emit('progressUpdated', this.#progress.update({ currentMigration: m, stepDone: true }));
  }

  migrationFailed(m: Migration, direction: Direction, error: Error): void {
    this.#events.emit('migrationFailed', { version: m.version, name: m.name, mvp: m.mvp, direction, error });
    this.#log('error', 'migration.failed', { version: m.version, name: m.name, direction, error: error.message });
  }

  /** The run ended: its status (`completed`, `failed`, `interrupted`) in the progress, then `runCompleted` or `runFailed`. */
  finished(result: RunResult): void {
    const { runId, direction } = result;
    // a run refused before its first step has had no progress yet
    if (this.#progress.snapshot()?.runId !== runId) this.#progress.start(runId, direction, 0);
    if (result.error) {
      const interrupted = isMfmigError(result.error) && result.error.code === 'INTERRUPTED';
      this.#events.emit('progressUpdated', this.#progress.update({ status: interrupted ? 'interrupted' : 'failed', error: result.error.message }));
      this.#events.emit('runFailed', { runId, error: result.error });
      this.#log('error', 'run.failed', { runId, error: result.error.message, at: result.toVersion });
      return;
    }
    this.#events.emit('progressUpdated', this.#progress.update({ status: 'completed' }));
    const migrations = result.results.filter((r) => r.status === 'Success').length;
    this.#events.emit('runCompleted', { runId, direction, toVersion: result.toVersion, durationMs: result.durationMs, migrations });
    this.#log('info', 'run.completed', { runId, to: result.toVersion, durationMs: Math.round(result.durationMs) });
  }

  /** The last run was undone by a rollback (see `RollbackManager.recoverFailedRun`). */
  markRolledBack(): void {
    if (this.#progress.snapshot()) this.#events.emit('progressUpdated', this.#progress.update({ status: 'rolled_back' }));
  }

  #log(level: 'info' | 'error', event: string, data: Record<string, unknown>): void {
    this.#logger?.log({ level, event, ...data });
  }
}
