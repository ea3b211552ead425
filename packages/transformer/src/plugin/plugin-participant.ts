import {
  type DialectRun,
  type DialectStep,
  type MigrationContext,
  type RunResult,
  SqliteConnection,
  migrationLabel,
  runInfoOf,
  stepContexts,
} from '@mfmig/core';
import { TRANSFORMATION_RESULTS_KEY, type TransformationResult } from '../run/transformation-result.js';
import { type TransformerPluginOptions, createTransformerPlugin } from './transformer-plugin.js';

/** The report entry kinds this participant writes; each carries its whole `TransformationResult` as `result`. */
const KINDS = new Set(['transformed', 'reversed']);

/**
 * The SQLite transformer plugin's engine as a `DialectMigrator` participant, for a run on a
 * `SqliteConnection`: the same row-function batches, whole queries staged outside the write lock
 * (an application keeps writing while an aggregate runs), continued batches with their cursors and
 * final checks as under `Migrator`. Each transformation's result is one `result.reports` entry
 * (`transformed` going up, `reversed` going down, the whole `TransformationResult` as `result`)
 * and, when the run records metrics, one `mfmig_metrics` row; the run's results are
 * `result.extras.transformations`, as the plugin gives them. A down's probe (rollback
 * preservation) runs the reverses in a savepoint: its results are dropped with its reports.
 * Each hook does nothing (and `handles` is false) on any other connection: the caller runs its
 * own engine there.
 */
export function sqlitePluginHooks(options: TransformerPluginOptions = {}) {
  const plugin = createTransformerPlugin({ ...options, recordMetrics: false });
  // what one step's hooks share (the plugin's ctx.state), from its first hook to its last in this process
  const contexts = stepContexts();
  const onSqlite = (connection: DialectStep['connection']): boolean => connection instanceof SqliteConnection;
  /** Runs one plugin hook on the step's context, then reports the results it added. */
  const hook = async (step: DialectStep, run: (ctx: MigrationContext) => unknown): Promise<unknown> => {
    if (!onSqlite(step.connection)) return undefined;
    const ctx = contexts.of(step);
    const before = resultsIn(ctx).length;
    const value = await run(ctx);
    for (const r of resultsIn(ctx).slice(before)) {
      step.report({
        kind: step.direction === 'down' ? 'reversed' : 'transformed',
        id: r.id,
        table: r.targetTable,
        rows: r.rowsWritten ?? r.rowsRead,
        batches: r.batches,
        durationMs: r.durationMs,
        result: r,
      });
      if (!step.dryRun)
        await step.recordMetric({ step: `${migrationLabel(step.migration)}#${r.id}`, durationMs: r.durationMs, rows: r.rowsWritten ?? r.rowsRead });
    }
    return value;
  };
  return {
    async beforeRun(run: DialectRun): Promise<void> {
      if (onSqlite(run.connection)) await plugin.beforeRun!(runInfoOf(run));
    },
    async afterRun(run: DialectRun, result: RunResult & { reports: DialectRunReports }, name: string): Promise<void> {
      if (!onSqlite(run.connection)) return;
      contexts.forgetRun(run.runId);
      // the plugin's own list would keep a probe's results: the run's reports are what was kept
      await plugin.afterRun!(runInfoOf(run), { ...result, extras: {} });
      const results = result.reports.filter((r) => r.participant === name && KINDS.has(r.kind) && r.result).map((r) => r.result as TransformationResult);
      if (results.length > 0) result.extras.transformations = results;
    },
    afterUp: (step: DialectStep) => hook(step, (ctx) => plugin.afterMigration!(ctx)),
    beforeDown: (step: DialectStep) => hook(step, (ctx) => plugin.beforeMigration!(ctx)),
    needsContinuation: async (step: DialectStep) => (await hook(step, (ctx) => plugin.needsContinuation!(step.migration, ctx))) === true,
    continueUp: (step: DialectStep) => hook(step, (ctx) => plugin.continueMigration!(ctx)),
    finalizeUp: async (step: DialectStep) => {
      await hook(step, (ctx) => plugin.finalizeMigration!(ctx));
      contexts.forgetStep(step);
    },
    handles: (step: DialectStep) => onSqlite(step.connection),
  };
}

/** What {@link sqlitePluginHooks} reads of a run's reports. */
type DialectRunReports = readonly { participant: string; kind: string; [detail: string]: unknown }[];

function resultsIn(ctx: MigrationContext): TransformationResult[] {
  return (ctx.state.get(TRANSFORMATION_RESULTS_KEY) as TransformationResult[] | undefined) ?? [];
}
