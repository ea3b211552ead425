import type { OperationProgress } from '@mfmig/core';

/**
 * Turns "rows done so far" into progress reports with rows per second and an ETA, measured
 * from the rows done in this process (a resumed run does not count the rows before the crash
 * as fast ones).
 *
 * @example
 * const meter = new ProgressMeter('transform kb_to_incident_mapping', 1_000_000, 0);
 * emit(meter.report(250_000));
 */
export class ProgressMeter {
  readonly #operation: string;
  #total: number;
  readonly #startDone: number;
  readonly #startMs = performance.now();

  constructor(operation: string, total: number, alreadyDone: number) {
    this.#operation = operation;
    this.#total = total;
    this.#startDone = alreadyDone;
  }

  /** Adds work found since the start (rows written above the end key while it ran). */
  grow(by: number): void {
    this.#total += by;
  }

  report(done: number): OperationProgress {
    const seconds = (performance.now() - this.#startMs) / 1000;
    const rate = seconds > 0 ? (done - this.#startDone) / seconds : 0;
    const left = Math.max(0, this.#total - done);
    return {
      operation: this.#operation,
      done,
      total: Math.max(this.#total, done),
      unit: 'rows',
      ratePerSecond: rate,
      etaMs: left === 0 ? 0 : rate > 0 ? Math.round((left / rate) * 1000) : null,
    };
  }
}
