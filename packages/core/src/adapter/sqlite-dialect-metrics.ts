import type { DialectMetrics } from '../dialect/dialect.js';
import { MetricsStore, type NewStepMetric, type StepMetric } from '../history/metrics-store.js';
import type { DatabaseAdapter } from './database-adapter.js';

/**
 * SQLite's {@link DialectMetrics}: the {@link MetricsStore} the SQLite runner writes
 * (`mfmig_metrics`), behind the async boundary.
 *
 * @example
 * const metrics = new SqliteDialectMetrics(adapter);
 * await metrics.ensure();
 * (await metrics.list()).map((m) => m.step);
 */
export class SqliteDialectMetrics implements DialectMetrics {
  readonly #store: MetricsStore;

  constructor(adapter: DatabaseAdapter) {
    this.#store = new MetricsStore(adapter);
  }

  async ensure(): Promise<void> {
    this.#store.ensure();
  }

  async record(metric: NewStepMetric): Promise<void> {
    this.#store.record(metric);
  }

  async list(runId?: string): Promise<StepMetric[]> {
    return this.#store.list(runId);
  }
}
