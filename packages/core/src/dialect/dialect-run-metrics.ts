import { type Migration, migrationLabel } from '../migration/index.js';
import type { RunnableConnection } from './dialect.js';

/** What a participant measured of one part of a step (one transformation). */
export interface MeasuredPart {
  /** The part's label, e.g. `0005_map_kb#kb_to_incident_mapping`. */
  step: string;
  durationMs: number;
  rows: number;
}

/**
 * The `mfmig_metrics` rows of one {@link DialectMigrator} run: one per step (the migration), and
 * one per part a participant measures (a transformation), each written in its step's
 * transaction, so that a step that rolls back leaves none. A step's rows are what it counted, as
 * on SQLite: a module's `ctx.countRows` and the rows its transformations wrote or reversed. The
 * rows a SQL file's statements changed are not counted (SQLite does not count them either). Peak
 * memory is this process's resident set, sampled at each step's start, its progress reports and
 * its end (the PostgreSQL server's memory is not known here). Off, nothing is written.
 *
 * @example
 * const metrics = new RunMetrics(connection, runId, true);
 * await metrics.prepare();
 * metrics.start();
 * metrics.countRows(2_000);
 * await metrics.recordStep(migration, 'up');
 */
export class RunMetrics {
  readonly #connection: RunnableConnection;
  readonly #runId: string;
  readonly #enabled: boolean;
  #startedAt = 0;
  #rows = 0;
  #peakMemory = 0;

  constructor(connection: RunnableConnection, runId: string, enabled: boolean) {
    this.#connection = connection;
    this.#runId = runId;
    this.#enabled = enabled;
  }

  /** Creates `mfmig_metrics` when this run records metrics; call before the first step, outside a transaction. */
  async prepare(): Promise<void> {
    if (this.#enabled) await this.#connection.metrics.ensure();
  }

  /** Starts measuring a step: its clock, and no rows yet. */
  start(): void {
    this.#startedAt = performance.now();
    this.restart();
  }

  /** Drops what an attempt of the current step counted (the step is retried whole); its clock keeps running. */
  restart(): void {
    this.#rows = 0;
    this.sampleMemory();
  }

  /**
   * The rows the current step counted so far: what its history row records, with or without
   * metrics, as SQLite's history does.
   *
   * @example
   * metrics.countRows(2_000);
   * metrics.rows; // 2000
   */
  get rows(): number {
    return this.#rows;
  }

  /** Adds to the rows the current step processed. */
  countRows(rows: number): void {
    if (Number.isFinite(rows) && rows > 0) this.#rows += rows;
  }

  /** Notes the process's memory now (at a progress report). */
  sampleMemory(): void {
    this.#peakMemory = Math.max(this.#peakMemory, process.memoryUsage.rss());
  }

  /** Writes the row of one part of a step (a transformation), in the step's transaction. */
  async recordPart(m: Migration, direction: 'up' | 'down', part: MeasuredPart): Promise<void> {
    await this.#record(m, direction, part);
  }

  /** Writes the row of the current step, in its transaction: the time since {@link start}, the rows counted. */
  async recordStep(m: Migration, direction: 'up' | 'down'): Promise<void> {
    await this.#record(m, direction, { step: migrationLabel(m), durationMs: performance.now() - this.#startedAt, rows: this.#rows });
  }

  async #record(m: Migration, direction: 'up' | 'down', part: MeasuredPart): Promise<void> {
    if (!this.#enabled) return;
    this.sampleMemory();
    await this.#connection.metrics.record({
      runId: this.#runId,
      version: m.version,
      step: part.step,
      direction,
      durationMs: part.durationMs,
      rows: part.rows,
      peakMemory: this.#peakMemory,
    });
  }
}
