import type { DialectCapabilities } from '../dialect/dialect.js';

/** How batches are sized and spaced so that other connections get the write lock between them. */
export interface BatchPacing {
  /** Wall time one batch's transaction should take; the row count adapts to it. */
  targetMs: number;
  /** Pause after each commit, in which a waiting writer takes the lock. */
  pauseMs: number;
}

/** Defaults: 100 ms batches, 25 ms pauses (see {@link BatchPacer}). */
export const DEFAULT_PACING: BatchPacing = { targetMs: 100, pauseMs: 25 };

/**
 * The pacing for a database: `pacing` as it is where a waiting writer polls for the lock
 * (SQLite's busy handler), without its pauses where waiters queue (`queuedLockWaits`): there
 * the batch's commit hands the lock to the first writer in the queue, and a pause would only
 * lengthen the run. Batches keep their duration, so that no writer waits longer than one.
 *
 * @example
 * pacingFor(pgConnection.capabilities); // { targetMs: 100, pauseMs: 0 }
 */
export function pacingFor(capabilities: Pick<DialectCapabilities, 'queuedLockWaits'>, pacing: BatchPacing = DEFAULT_PACING): BatchPacing {
  return capabilities.queuedLockWaits ? { ...pacing, pauseMs: 0 } : pacing;
}

const FIRST_BATCH = 100;

/**
 * Sizes batches by time, not only by rows, and spaces them.
 *
 * A writer waiting on SQLite's busy handler does not queue: it sleeps and retries, 1, 2, 5,
 * 10, 15, 20 and 25 ms apart at first, then 50 and 100 ms. A batch that commits and at once
 * takes the lock again leaves it no chance, so it fails after its `busy_timeout` although every
 * batch was short. A batch that lasts at most `targetMs` (100 ms) ends while the waiting writer
 * still retries every 25 ms or less, and a `pauseMs` (25 ms) pause holds one of its retries:
 * it waits about one batch. Row counts start small (100) and follow the measured rate (at
 * most twice the last per batch, so that rows that get slower do not overshoot far) up to the
 * declared batch size.
 *
 * @example
 * const pacer = new BatchPacer(DEFAULT_PACING, 100_000);
 * const rows = pacer.size; // run a batch of `rows`, then:
 * pacer.record(rows, elapsedMs);
 * await pacer.pause();
 */
export class BatchPacer {
  readonly #pacing: BatchPacing;
  readonly #maxRows: number;
  #size: number;
  /** Time per row of the last batch, to foresee how long the next one holds the lock. */
  #lastPerRow = 0;
  /** How long batches have held the write lock back to back since the last pause. */
  #heldMs = 0;

  constructor(pacing: BatchPacing, maxRows: number) {
    this.#pacing = pacing;
    this.#maxRows = Math.max(1, maxRows);
    // With no time target, every batch has the declared size.
    this.#size = Number.isFinite(pacing.targetMs) ? Math.min(this.#maxRows, FIRST_BATCH) : this.#maxRows;
  }

  /** Rows for the next batch. */
  get size(): number {
    return this.#size;
  }

  /** Learns from a batch: `rows` done in `elapsedMs`. */
  record(rows: number, elapsedMs: number): void {
    this.#heldMs += elapsedMs;
    if (rows <= 0) return;
    const perRow = Math.max(elapsedMs, 0.01) / rows;
    this.#lastPerRow = perRow;
    const wanted = Math.floor(this.#pacing.targetMs / perRow);
    this.#size = Math.max(1, Math.min(this.#maxRows, this.#size * 2, wanted));
  }

  /**
   * The pause between two batches. A writer that began to wait while the lock was held now
   * retries as far apart as the busy handler's back-off has reached: up to 25 ms in its first
   * ~100 ms, 50 ms up to ~225 ms, then 100 ms. Batches that held the lock longer than planned
   * are followed by a pause as long as that spacing, so that one of its retries lands in it.
   *
   * Batches shorter than `targetMs` (a declared batch size reached first) run back to back, with
   * no pause, as long as together they would still hold the lock no longer than `targetMs`: a
   * writer then waits no longer than behind one full-length batch, and the run does not pause
   * after each short batch (at 30 ms batches, a 25 ms pause each nearly doubled the run).
   */
  pause(): Promise<void> {
    if (this.#pacing.pauseMs <= 0) return new Promise((resolve) => setImmediate(resolve));
    const nextMs = this.#size * this.#lastPerRow;
    if (Number.isFinite(this.#pacing.targetMs) && this.#heldMs + nextMs <= this.#pacing.targetMs) {
      return new Promise((resolve) => setImmediate(resolve));
    }
    const held = this.#heldMs;
    this.#heldMs = 0;
    const spacing = held <= 100 ? 0 : held <= 225 ? 50 : 100;
    const ms = Math.max(this.#pacing.pauseMs, spacing);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
