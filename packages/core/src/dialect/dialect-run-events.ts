import { isMfmigError } from '../errors/index.js';
import type { MigrationEventEmitter, MigrationEvents, MigrationProgress } from '../events/index.js';
import type { Migration } from '../migration/index.js';
import type { RunResult } from '../runner/migration-plugin.js';
import { ProgressTracker } from '../runner/progress-tracker.js';

type Direction = 'up' | 'down';

/**
 * The events of a {@link DialectMigrator}'s runs, in either direction, and the `MigrationProgress`
 * they add up to, emitted in the order and shape `Migrator` emits them: `runStarted`; per step
 * `migrationStarted` and `progressUpdated`, then `migrationCompleted`, `migrationStepCompleted`
 * and `progressUpdated` (or `migrationFailed`); at the end `progressUpdated` with the run's
 * status, then `runCompleted` or `runFailed`.
 *
 * @example
 * const events = new RunEvents(migrator.events);
 * events.runStarted({ runId, direction: 'up', fromVersion: 0, targetVersion: 3, totalSteps: 3, dryRun: false });
 */
export class RunEvents {
  readonly #events: MigrationEventEmitter<MigrationEvents>;
  readonly #progress = new ProgressTracker();

  constructor(events: MigrationEventEmitter<MigrationEvents>) {
    this.#events = events;
  }

  /** The progress of the current (or last) run, or null before any run. */
  snapshot(): MigrationProgress | null {
    return this.#progress.snapshot();
  }

  runStarted(data: MigrationEvents['runStarted']): void {
    this.#progress.start(data.runId, data.direction, data.totalSteps);
    this.#events.emit('runStarted', data);
  }

  migrationStarted(m: Migration, direction: Direction, index: number, totalSteps: number): void {
    this.#events.emit('migrationStarted', { version: m.version, name: m.name, mvp: m.mvp, direction, step: index + 1, totalSteps });
    this.#events.emit('progressUpdated', this.#progress.update({ currentMigration: m }));
  }

  migrationCompleted(m: Migration, direction: Direction, index: number, totalSteps: number, durationMs: number, rows: number): void {
    this.#events.emit('migrationCompleted', { version: m.version, name: m.name, mvp: m.mvp, direction, durationMs });
    this.#events.emit('migrationStepCompleted', { step: index + 1, totalSteps, version: m.version, name: m.name, duration: durationMs });
    this.#events.emit('progressUpdated', this.#progress.update({ stepDone: true, rows }));
  }

  migrationFailed(m: Migration, direction: Direction, error: Error): void {
    this.#events.emit('migrationFailed', { version: m.version, name: m.name, mvp: m.mvp, direction, error });
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
      return;
    }
    this.#events.emit('progressUpdated', this.#progress.update({ status: 'completed' }));
    const migrations = result.results.filter((r) => r.status === 'Success').length;
    this.#events.emit('runCompleted', { runId, direction, toVersion: result.toVersion, durationMs: result.durationMs, migrations });
  }

  /** The last run was undone by a rollback (see `RollbackManager.recoverFailedRun`). */
  markRolledBack(): void {
    if (this.#progress.snapshot()) this.#events.emit('progressUpdated', this.#progress.update({ status: 'rolled_back' }));
  }
}
