import type { MigrationProgress } from '../events/index.js';
import type { Direction, Migration } from '../migration/index.js';

/** Keeps the `MigrationProgress` of a run up to date. */
export class ProgressTracker {
  #progress: MigrationProgress | undefined;
  #startMs = 0;
  #peak = 0;

  start(runId: string, direction: Direction, totalSteps: number): MigrationProgress {
    this.#startMs = Date.now();
    this.#peak = 0;
    this.#progress = {
      runId,
      status: 'running',
      direction,
      currentStep: 0,
      totalSteps,
      startedAt: new Date(this.#startMs).toISOString(),
      elapsedTime: 0,
      estimatedCompletion: null,
      performance: { memoryUsage: 0, peakMemoryUsage: 0, rowsProcessed: 0 },
    };
    return this.snapshot()!;
  }

  /** Marks a step as started or finished and returns the fresh progress. */
  update(change: { currentMigration?: Migration; stepDone?: boolean; rows?: number; status?: MigrationProgress['status']; error?: string }): MigrationProgress {
    const p = this.#progress;
    if (!p) throw new Error('progress not started');
    if (change.currentMigration) {
      const m = change.currentMigration;
      p.currentMigration = { version: m.version, name: m.name, mvp: m.mvp };
    }
    if (change.stepDone) p.currentStep++;
    if (change.rows) p.performance.rowsProcessed += change.rows;
    if (change.status) p.status = change.status;
    if (change.error) p.error = change.error;
    const rss = process.memoryUsage.rss();
    this.#peak = Math.max(this.#peak, rss);
    p.performance.memoryUsage = rss;
    p.performance.peakMemoryUsage = this.#peak;
    p.elapsedTime = Date.now() - this.#startMs;
    if (p.status !== 'running') {
      p.estimatedCompletion = new Date().toISOString();
    } else if (p.currentStep > 0) {
      const perStep = p.elapsedTime / p.currentStep;
      p.estimatedCompletion = new Date(Date.now() + perStep * (p.totalSteps - p.currentStep)).toISOString();
    }
    return this.snapshot()!;
  }

  get peakMemory(): number {
    return this.#peak;
  }

  snapshot(): MigrationProgress | null {
    if (!this.#progress) return null;
    return structuredClone(this.#progress);
  }
}
