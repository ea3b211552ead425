import type { DatabaseAdapter } from '../adapter/index.js';

/** One measured step of a run, as stored in `mfmig_metrics`. */
export interface StepMetric {
  runId: string;
  version: number | null;
  step: string;
  direction: 'up' | 'down' | null;
  durationMs: number;
  rows: number;
  rowsPerSecond: number;
  peakMemory: number;
  recordedAt: string;
}

/** What a runner hands over to record one step; the store adds the rate and the time. */
export type NewStepMetric = Omit<StepMetric, 'recordedAt' | 'rowsPerSecond'>;

/**
 * Rows per second of a measured step, as every dialect's store records it (0 for an instant step).
 *
 * @example
 * rowsPerSecond(2_000, 500); // 4000
 */
export function rowsPerSecond(rows: number, durationMs: number): number {
  return durationMs > 0 ? (rows * 1000) / durationMs : 0;
}

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS mfmig_metrics (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  version INTEGER,
  step TEXT NOT NULL,
  direction TEXT,
  duration_ms REAL NOT NULL,
  rows INTEGER NOT NULL,
  rows_per_second REAL NOT NULL,
  peak_memory INTEGER NOT NULL,
  recorded_at TEXT NOT NULL
)`;

/**
 * Per-step run metrics in `mfmig_metrics`: duration, rows, rows per second, peak memory.
 *
 * @example
 * new MetricsStore(adapter).list().forEach((m) => console.log(m.step, m.durationMs));
 */
export class MetricsStore {
  readonly #adapter: DatabaseAdapter;

  constructor(adapter: DatabaseAdapter) {
    this.#adapter = adapter;
  }

  ensure(): void {
    if (!this.#adapter.tableExists('mfmig_metrics')) this.#adapter.runScript(CREATE_SQL);
  }

  /** Records one step; call inside the step's transaction so that it commits with it. */
  record(metric: NewStepMetric): void {
    this.ensure();
    const rate = rowsPerSecond(metric.rows, metric.durationMs);
    this.#adapter.run(
      `INSERT INTO mfmig_metrics (run_id, version, step, direction, duration_ms, rows, rows_per_second, peak_memory, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [metric.runId, metric.version, metric.step, metric.direction, metric.durationMs, metric.rows, rate, metric.peakMemory, new Date().toISOString()],
    );
  }

  list(runId?: string): StepMetric[] {
    if (!this.#adapter.tableExists('mfmig_metrics')) return [];
    const rows = this.#adapter.all<Record<string, unknown>>(`SELECT * FROM mfmig_metrics ${runId ? 'WHERE run_id = ?' : ''} ORDER BY id`, runId ? [runId] : []);
    return rows.map((r) => ({
      runId: String(r.run_id),
      version: r.version == null ? null : Number(r.version),
      step: String(r.step),
      direction: r.direction == null ? null : (String(r.direction) as 'up' | 'down'),
      durationMs: Number(r.duration_ms),
      rows: Number(r.rows),
      rowsPerSecond: Number(r.rows_per_second),
      peakMemory: Number(r.peak_memory),
      recordedAt: String(r.recorded_at),
    }));
  }
}
