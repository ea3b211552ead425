import { type DialectParticipant, migrationLabel } from '@mfmig/core';
import { applyTransformationsOn, reverseTransformationsOn } from './connection/index.js';

/** Options of {@link createConnectionTransformer}. */
export interface ConnectionTransformerOptions {
  /** Source rows per batch. Default 100,000 (every batch runs in the migration's transaction). */
  batchSize?: number;
}

/**
 * The data transformations of a server database's run, as a participant: after an up migration's
 * body, in its transaction, its declared transformations run in dependency order (keyset batches
 * over the source key, row functions paged the same way) and their validation queries are
 * checked; before a down, their reverses run. A failure rolls the whole migration back. The rows
 * each one wrote or reversed count towards the step's metrics, and, when the run records metrics,
 * each one gets its own `mfmig_metrics` row (`step` = `<migration>#<transformation id>`), as the
 * SQLite plugin's `recordMetrics` gives.
 *
 * @example
 * new DialectMigrator({ connection, migrations, participants: [createConnectionTransformer()] });
 */
export function createConnectionTransformer(options: ConnectionTransformerOptions = {}): DialectParticipant {
  return {
    name: 'transformations',
    runsTransformations: true,
    async afterUp(step) {
      if (step.migration.transformations.length === 0) return;
      const results = await applyTransformationsOn(step.connection, step.migration.transformations, {
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        onProgress: (p) => step.progress(p),
      });
      for (const r of results) {
        step.report({ kind: 'transformed', id: r.id, table: r.targetTable, rows: r.rows, batches: r.batches, durationMs: r.durationMs });
        step.countRows(r.rows);
        await step.recordMetric({ step: `${migrationLabel(step.migration)}#${r.id}`, durationMs: r.durationMs, rows: r.rows });
      }
    },
    async beforeDown(step) {
      if (step.migration.transformations.length === 0) return;
      for (const r of await reverseTransformationsOn(step.connection, step.migration.transformations)) {
        step.report({ kind: 'reversed', id: r.id, rows: r.rows });
        step.countRows(r.rows);
        await step.recordMetric({ step: `${migrationLabel(step.migration)}#${r.id}`, durationMs: r.durationMs, rows: r.rows });
      }
    },
  };
}
