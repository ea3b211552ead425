import { quoteIdentifier } from '../../adapter/quote.js';
import { type NewStepMetric, type StepMetric, rowsPerSecond } from '../../history/metrics-store.js';
import type { DialectMetrics } from '../dialect.js';
import { isConcurrentCreate } from './postgres-errors.js';

/** The queries the metrics need: any PostgreSQL connection. */
interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * `mfmig_metrics` in the schema mfmig works in, with the same rows as SQLite's `MetricsStore`:
 * one per measured step (run id, version, step, direction, duration, rows, rows per second, peak
 * memory). A row is written in its migration's transaction, so a migration that rolls back
 * leaves none.
 *
 * @example
 * const metrics = new PostgresMetrics(db, 'public');
 * await metrics.ensure();
 * (await metrics.list()).map((m) => `${m.step} ${m.direction} ${m.durationMs} ms`);
 */
export class PostgresMetrics implements DialectMetrics {
  readonly #db: Queryable;
  readonly #table: string;

  constructor(db: Queryable, schema: string) {
    this.#db = db;
    this.#table = `${quoteIdentifier(schema)}.mfmig_metrics`;
  }

  /** Creates the table when missing; two runners creating it at once both succeed. */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    try {
      await this.#db.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL,
        version bigint,
        step text NOT NULL,
        direction text CHECK (direction IN ('up', 'down')),
        duration_ms double precision NOT NULL,
        rows bigint NOT NULL,
        rows_per_second double precision NOT NULL,
        peak_memory bigint NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
    } catch (error) {
      if (!isConcurrentCreate(error)) throw error;
    }
  }

  /** True when `mfmig_metrics` exists. */
  async exists(): Promise<boolean> {
    const rows = await this.#db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [this.#table]);
    return rows[0]?.ok === true;
  }

  /** Writes one row (in the caller's transaction). */
  async record(metric: NewStepMetric): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${this.#table} (run_id, version, step, direction, duration_ms, rows, rows_per_second, peak_memory, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        metric.runId,
        metric.version,
        metric.step,
        metric.direction,
        metric.durationMs,
        Math.round(metric.rows),
        rowsPerSecond(metric.rows, metric.durationMs),
        Math.round(metric.peakMemory),
        new Date(),
      ],
    );
  }

  /** The rows of `runId` (or all), oldest first; empty when the table does not exist. */
  async list(runId?: string): Promise<StepMetric[]> {
    if (!(await this.exists())) return [];
    const rows = await this.#db.query<Record<string, unknown>>(
      `SELECT run_id, version, step, direction, duration_ms, rows, rows_per_second, peak_memory, recorded_at FROM ${this.#table}
        ${runId === undefined ? '' : 'WHERE run_id = $1'} ORDER BY id`,
      runId === undefined ? [] : [runId],
    );
    return rows.map((r) => ({
      runId: String(r.run_id),
      version: r.version === null ? null : Number(r.version),
      step: String(r.step),
      direction: r.direction === 'up' || r.direction === 'down' ? r.direction : null,
      durationMs: Number(r.duration_ms),
      rows: Number(r.rows),
      rowsPerSecond: Number(r.rows_per_second),
      peakMemory: Number(r.peak_memory),
      recordedAt: (r.recorded_at as Date).toISOString(),
    }));
  }
}
