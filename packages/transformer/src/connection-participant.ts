import { type BatchPacing, type DialectParticipant, type DialectStep, migrationLabel, pacingFor } from '@mfmig/core';
import { parseTransformations } from './declaration/parse-transformation.js';
import { planUnits } from './declaration/transformation-unit.js';
import { applyTransformationsOn, reverseTransformationsOn } from './connection/index.js';
import { runUnitsOn } from './connection/apply-transformations.js';
import type { ConnectionTransformationResult } from './connection/connection-result.js';
import { ConnectionCursorStore } from './connection/connection-cursor-store.js';
import { continueResumable, finalizeResumable, firstDeferred, startResumable } from './connection/resumable-transformations.js';
import { sqlitePluginHooks } from './plugin/plugin-participant.js';
import type { TransformerPluginOptions } from './plugin/transformer-plugin.js';

/** Options of {@link createConnectionTransformer}. */
export interface ConnectionTransformerOptions {
  /** Source rows per batch. Default 100,000 (a batch in the migration's transaction buys progress; a continued one is also sized by time). */
  batchSize?: number;
  /** Sources above this many rows move after the migration's transaction, resumably (`batch: 'auto'`). Default 10,000, as on SQLite. */
  batchThreshold?: number;
  /**
   * Duration of a continued batch and the pause after it. Default: `pacingFor` the connection,
   * 100 ms batches with no pause where lock waiters queue (PostgreSQL).
   */
  pacing?: BatchPacing;
  /**
   * On a `SqliteConnection`: the SQLite engine's own options (`rowBatchSize`, `sqlBatchSize`,
   * `stageQueries`, ...; `batchThreshold`, `pacing` and both batch sizes default to the ones above), or `'keyset'`
   * for the keyset engine the server dialects use. Default: the SQLite engine, the one
   * `createTransformerPlugin` runs under `Migrator`.
   */
  sqlite?: TransformerPluginOptions | 'keyset';
  /**
   * How many rows a source table holds, for the `batchThreshold` decision, when the caller knows
   * better than a count on the run's connection; `undefined` for a table it does not know, which is
   * counted as usual. A rehearsal passes the live database's sizes, so that a sample takes the path
   * (in the migration's transaction, or continued in batches) the live run will take. The keyset
   * engine only.
   */
  rowsOf?: (table: string) => Promise<number | undefined>;
}

const DEFAULT_BATCH_SIZE = 100_000;
const DEFAULT_THRESHOLD = 10_000;

/**
 * The data transformations of a server database's run, as a participant: after an up migration's
 * body, in its transaction, its declared transformations run in dependency order (keyset batches
 * over the source key, row functions paged the same way) and their validation queries are
 * checked; before a down, their reverses run. A failure rolls the whole migration back. The rows
 * each one wrote or reversed count towards the step's metrics, and, when the run records metrics,
 * each one gets its own `mfmig_metrics` row (`step` = `<migration>#<transformation id>`), as the
 * SQLite plugin's `recordMetrics` gives.
 *
 * As on SQLite, from the first transformation that says `batch: 'always'` or reads a source of
 * more than `batchThreshold` rows (and whose SQL runs in key ranges), the rest are continued: the
 * migration commits with a `partial` history row and pending cursors, the rows then move in
 * keyset batches each committed with its cursor (a killed run resumes at the next batch on the
 * next `migrate`), and a final transaction moves what the application wrote meanwhile under a
 * SHARE lock, checks the validations and marks the migration applied. When that work fails (a
 * validation, a batch), the runner takes the migration back out with its down, whose reverses
 * remove what the batches moved; an interrupted run stays `partial`.
 *
 * On SQLite it runs the engine `createTransformerPlugin` runs under `Migrator` (see
 * `sqlitePluginHooks`): row functions in batches, and whole queries (aggregates) staged outside
 * the write lock, so that an application keeps writing; its results are also
 * `result.extras.transformations`. `sqlite: 'keyset'` runs the keyset engine there instead.
 *
 * @example
 * new DialectMigrator({ connection, migrations, participants: [createConnectionTransformer({ batchThreshold: 50_000 })] });
 */
export function createConnectionTransformer(options: ConnectionTransformerOptions = {}): DialectParticipant {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const name = 'transformations';
  const sqlite =
    options.sqlite === 'keyset'
      ? undefined
      : sqlitePluginHooks({
          batchThreshold: options.batchThreshold,
          ...(options.batchSize ? { rowBatchSize: options.batchSize, sqlBatchSize: options.batchSize } : {}),
          ...(options.pacing ? { pacing: options.pacing } : {}),
          ...options.sqlite,
        });
  const continued = new Set<string>();
  const spent = new Map<string, Map<string, number>>();
  const keyOf = (step: DialectStep) => `${step.runId}:${step.migration.version}`;
  const scopeOf = (step: DialectStep) => `migration:${step.migration.version}`;
  const unitsOf = (step: DialectStep) => planUnits(parseTransformations(step.migration.transformations));
  const record = async (step: DialectStep, results: readonly ConnectionTransformationResult[]) => {
    for (const r of results) {
      step.report({ kind: 'transformed', id: r.id, table: r.targetTable, rows: r.rows, batches: r.batches, durationMs: r.durationMs });
      step.countRows(r.rows);
      await step.recordMetric({ step: `${migrationLabel(step.migration)}#${r.id}`, durationMs: r.durationMs, rows: r.rows });
    }
  };
  return {
    name,
    runsTransformations: true,
    async beforeRun(run) {
      await sqlite?.beforeRun(run);
    },
    async afterRun(run, result) {
      await sqlite?.afterRun(run, result, name);
    },
    async afterUp(step) {
      if (sqlite?.handles(step)) return void (await sqlite.afterUp(step));
      continued.delete(keyOf(step));
      if (step.migration.transformations.length === 0) return;
      const progress = { batchSize, onProgress: (p: Parameters<DialectStep['progress']>[0]) => step.progress(p) };
      const units = unitsOf(step);
      const from =
        step.dryRun || !step.connection.inTransaction
          ? -1
          : await firstDeferred(step.connection, units, options.batchThreshold ?? DEFAULT_THRESHOLD, options.rowsOf);
      if (from < 0) {
        await record(step, await applyTransformationsOn(step.connection, step.migration.transformations, progress));
        return;
      }
      const ran = await runUnitsOn(step.connection, units.slice(0, from), progress);
      // as on SQLite, the rows the units before the continued one wrote count towards the step now
      for (const r of ran) step.countRows(r.counts.rows);
      await startResumable(step.connection, scopeOf(step), units, ran);
      continued.add(keyOf(step));
    },
    async needsContinuation(step) {
      if (sqlite?.handles(step)) return sqlite.needsContinuation(step);
      return continued.has(keyOf(step));
    },
    async continueUp(step) {
      if (sqlite?.handles(step)) return void (await sqlite.continueUp(step));
      continued.delete(keyOf(step));
      if (step.migration.transformations.length === 0) return;
      const run = {
        batchSize,
        pacing: options.pacing ?? pacingFor(step.connection.capabilities),
        onProgress: (p: Parameters<DialectStep['progress']>[0]) => step.progress(p),
        ...(step.signal ? { signal: step.signal } : {}),
        // the move's start waits for its lock as the run's DDL does
        ...(step.lockWait ? { lockWait: step.lockWait } : {}),
      };
      spent.set(keyOf(step), await continueResumable(step.connection, scopeOf(step), unitsOf(step), run));
    },
    async finalizeUp(step) {
      if (sqlite?.handles(step)) return sqlite.finalizeUp(step);
      if (step.migration.transformations.length === 0) return;
      const time = spent.get(keyOf(step)) ?? new Map<string, number>();
      spent.delete(keyOf(step));
      await record(step, await finalizeResumable(step.connection, scopeOf(step), unitsOf(step), time, batchSize));
    },
    async beforeDown(step) {
      if (sqlite?.handles(step)) return void (await sqlite.beforeDown(step));
      if (step.migration.transformations.length === 0) return;
      for (const r of await reverseTransformationsOn(step.connection, step.migration.transformations)) {
        step.report({ kind: 'reversed', id: r.id, rows: r.rows });
        step.countRows(r.rows);
        await step.recordMetric({ step: `${migrationLabel(step.migration)}#${r.id}`, durationMs: r.durationMs, rows: r.rows });
      }
      if (!step.dryRun) await new ConnectionCursorStore(step.connection).clear(scopeOf(step));
    },
  };
}
