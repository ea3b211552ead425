import type { MigrationContext, MigrationPlugin, RunInfo, RunResult, SqliteConnection } from '@mfmig/core';
import { MfmigError, isMfmigError, migrationLabel } from '@mfmig/core';
import { ranWithoutCursor } from '../declaration/cursorless-units.js';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import type { ResultCounts } from '../run/result-builder.js';
import { TRANSFORMATION_RESULTS_KEY, type TransformationResult, type ValidationResult } from '../run/transformation-result.js';

/** `ctx.state` key: the validation results of a batched migration, read before its final transaction. */
const VALIDATED_KEY = 'transformer:validated';
import { dropWatch, hasWatch } from '../run/staged-unit.js';
import type { UnitRest } from '../run/unit-rest.js';
import { validationError } from '../run/validation-runner.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions, TransformationEngine } from '../transformation-engine.js';
import { CONTINUATION_KEY, COUNTS_KEY, migrationScope, publishResults, recordMetrics, resultsOf, validateOrThrow } from './migration-transformations.js';

/**
 * Options of {@link createTransformerPlugin}.
 *
 * @example
 * createTransformerPlugin({ batchThreshold: 50_000, sqlBatchSize: 200_000, recordMetrics: true });
 */
export interface TransformerPluginOptions extends Partial<EngineOptions> {
  /** Write one `mfmig_metrics` row per transformation. Default false. */
  recordMetrics?: boolean;
}

/**
 * The migration plugin that runs the `transformations` a module migration declares.
 *
 * Going up, after the migration's `up` and inside its transaction, transformations run in
 * dependency order. Small ones run right there; from the first one whose source holds more
 * than `batchThreshold` rows (or that says `batch: 'always'`), the rest are left to
 * `continueMigration`, which runs them in batches committed with their cursor (history row
 * `partial` meanwhile; a killed run resumes at the next batch), and `finalizeMigration`
 * runs the validation queries in the transaction that marks the migration applied. A failed
 * validation fails the migration, and the runner takes it back out.
 *
 * Going down, the declared reverses run (last first) before the migration's `down`.
 * In a dry run nothing is written: each transformation reports the rows it would touch.
 * Results land in `ctx.state` and `RunResult.extras` under `TRANSFORMATION_RESULTS_KEY`.
 *
 * @example
 * const migrator = new Migrator({ adapter, migrations: await loadMigrations('./migrations') });
 * migrator.use(createTransformerPlugin({ batchThreshold: 50_000 }));
 * const result = await migrator.migrate({ mvp: 5 });
 * console.table(result.extras.transformations);
 */
export function createTransformerPlugin(options: TransformerPluginOptions = {}): MigrationPlugin {
  const engineOptions: EngineOptions = {
    rowBatchSize: options.rowBatchSize ?? DEFAULT_ENGINE_OPTIONS.rowBatchSize,
    sqlBatchSize: options.sqlBatchSize ?? DEFAULT_ENGINE_OPTIONS.sqlBatchSize,
    batchThreshold: options.batchThreshold ?? DEFAULT_ENGINE_OPTIONS.batchThreshold,
    pacing: options.pacing ?? DEFAULT_ENGINE_OPTIONS.pacing,
    stageQueries: options.stageQueries ?? true,
    copyReadsMinBytes: options.copyReadsMinBytes,
  };
  const engines = new WeakMap<SqliteConnection, TransformationEngine>();
  const byRun = new Map<string, TransformationResult[]>();
  const engineFor = (connection: SqliteConnection): TransformationEngine => {
    let engine = engines.get(connection);
    if (!engine) engines.set(connection, (engine = new TransformationEngine(connection, engineOptions)));
    return engine;
  };
  const finish = async (ctx: MigrationContext, results: TransformationResult[]): Promise<void> => {
    if (options.recordMetrics && !ctx.dryRun) await recordMetrics(ctx, results);
    publishResults(ctx, results);
    const run = byRun.get(ctx.runId) ?? [];
    run.push(...results);
    byRun.set(ctx.runId, run);
  };
  const progress = (ctx: MigrationContext) => ({ onProgress: ctx.progress.bind(ctx), signal: ctx.signal });

  return {
    name: 'transformer',
    handlesTransformations: true,

    async beforeRun(run: RunInfo) {
      // A malformed declaration or a dependency cycle stops the run before its first step.
      const engine = engineFor(run.connection);
      // a run killed while it staged a query left its watch triggers on the application's tables
      if (!run.dryRun && (await hasWatch(run.connection))) await run.connection.transaction(() => dropWatch(run.connection));
      for (const m of run.steps) {
        if (m.transformations.length === 0) continue;
        try {
          engine.plan(m.transformations);
        } catch (error) {
          if (!isMfmigError(error)) throw error;
          throw new MfmigError(error.code, `Migration ${migrationLabel(m)}: ${error.message}`, {
            cause: error,
            context: { ...error.context, version: m.version, file: m.file },
          });
        }
      }
    },

    async beforeMigration(ctx) {
      if (ctx.direction !== 'down' || ctx.migration.transformations.length === 0) return;
      const engine = engineFor(ctx.connection);
      const reversed = await engine.reverse(engine.plan(ctx.migration.transformations), ctx.dryRun);
      if (!ctx.dryRun) await engine.cursors.clear(migrationScope(ctx));
      for (const r of reversed) if (r.counts.rowsWritten) ctx.countRows(r.counts.rowsWritten);
      await finish(ctx, resultsOf(ctx, reversed, ctx.dryRun ? 'dry-run' : 'reverse'));
    },

    async afterMigration(ctx) {
      if (ctx.direction !== 'up' || ctx.migration.transformations.length === 0) return;
      const engine = engineFor(ctx.connection);
      const units = engine.plan(ctx.migration.transformations);
      if (ctx.dryRun) {
        const counted: { unit: TransformationUnit; counts: ResultCounts }[] = [];
        for (const unit of units) counted.push({ unit, counts: await engine.count(unit) });
        await finish(ctx, resultsOf(ctx, counted, 'dry-run'));
        return;
      }
      const done: { unit: TransformationUnit; counts: ResultCounts }[] = [];
      let deferred = -1;
      for (const [i, unit] of units.entries()) {
        if (await engine.defers(unit)) {
          deferred = i;
          break;
        }
      }
      const inline = deferred < 0 ? units : units.slice(0, deferred);
      for (const unit of inline) {
        const counts = await engine.runInline(unit, progress(ctx));
        ctx.countRows(counts.rowsWritten ?? 0);
        done.push({ unit, counts });
      }
      ctx.state.set(COUNTS_KEY, new Map(done.map((d) => [d.unit.id, d.counts])));
      if (deferred < 0) {
        await finish(ctx, resultsOf(ctx, done, 'inline', await validateOrThrow(engine, units)));
        return;
      }
      const scope = migrationScope(ctx);
      await engine.cursors.clear(scope);
      for (const [seq, unit] of units.entries()) {
        const cursor = engine.pendingCursor(scope, unit, seq);
        const counts = done[seq]?.counts;
        await engine.cursors.save(
          counts ? { ...cursor, status: 'done', rowsRead: counts.rowsRead, rowsWritten: counts.rowsWritten ?? 0, batches: 0, total: counts.rowsRead } : cursor,
        );
      }
      ctx.state.set(CONTINUATION_KEY, true);
    },

    needsContinuation(_migration, ctx) {
      return ctx.state.get(CONTINUATION_KEY) === true;
    },

    async continueMigration(ctx) {
      if (ctx.migration.transformations.length === 0) return;
      const engine = engineFor(ctx.connection);
      const scope = migrationScope(ctx);
      const cursors = new Map((await engine.cursors.list(scope)).map((c) => [c.transformationId, c]));
      const measured = (ctx.state.get(COUNTS_KEY) as Map<string, ResultCounts> | undefined) ?? new Map<string, ResultCounts>();
      ctx.state.set(COUNTS_KEY, measured);
      const units = engine.plan(ctx.migration.transformations);
      const ranInline = ranWithoutCursor(units, (id) => cursors.has(id));
      for (const [seq, unit] of units.entries()) {
        if (ranInline.has(unit.id)) continue;
        const cursor = cursors.get(unit.id) ?? engine.pendingCursor(scope, unit, seq);
        if (cursor.status === 'done') continue;
        const counts = await engine.runBatched(unit, cursor, { ...progress(ctx), whole: unit.transformation.batch === 'never' });
        ctx.countRows(counts.rowsWritten ?? 0);
        measured.set(unit.id, counts);
      }
      // The validation queries read whole tables: run here, between transactions, they do not
      // hold the write lock that the final transaction takes (a WAL application keeps writing;
      // with a rollback journal a large file's queries read paced TEMP copies).
      const validations = await engine.validateBetweenTransactions(units, ctx.signal);
      // a failure may be rows the application wrote since the last batch: the final transaction
      // moves them and checks again, and fails the migration if the check still fails
      if (validationError(validations)) ctx.state.delete(VALIDATED_KEY);
      else ctx.state.set(VALIDATED_KEY, validations);
    },

    async finalizeMigration(ctx) {
      if (ctx.migration.transformations.length === 0) return;
      const engine = engineFor(ctx.connection);
      const scope = migrationScope(ctx);
      const units = engine.plan(ctx.migration.transformations);
      const cursors = new Map((await engine.cursors.list(scope)).map((c) => [c.transformationId, c]));
      // units DialectMigrator's transformer ran in the migration's transaction have no cursor, and no result here
      const ranInline = ranWithoutCursor(units, (id) => cursors.has(id));
      const unfinished = units.find((u) => !ranInline.has(u.id) && cursors.get(u.id)?.status !== 'done');
      if (unfinished) {
        throw new MfmigError('TRANSFORMATION_FAILED', `Transformation ${unfinished.id} did not finish; run the migration again to resume it`, {
          context: { transformation: unfinished.id },
        });
      }
      // what the application wrote above each batched unit's cursor since its last batch moves now,
      // under the write lock this transaction holds; the validations then read the final rows
      const rest = new Map<string, UnitRest>();
      for (const u of units) if (cursors.has(u.id)) rest.set(u.id, await engine.runRest(u, cursors.get(u.id)!));
      const caughtUp = [...rest.values()].some((r) => r.rowsRead > 0 || r.rowsWritten > 0);
      for (const r of rest.values()) ctx.countRows(r.rowsWritten);
      const validatedBefore = caughtUp ? undefined : (ctx.state.get(VALIDATED_KEY) as ValidationResult[] | undefined);
      const validations = validatedBefore ?? (await validateOrThrow(engine, units));
      const measured = (ctx.state.get(COUNTS_KEY) as Map<string, ResultCounts> | undefined) ?? new Map<string, ResultCounts>();
      const entries = units
        .filter((unit) => !ranInline.has(unit.id))
        .map((unit) => {
          const c = cursors.get(unit.id)!;
          const m = measured.get(unit.id);
          return {
            unit,
            counts: {
              rowsRead: c.rowsRead + (rest.get(unit.id)?.rowsRead ?? 0),
              rowsWritten: c.rowsWritten + (rest.get(unit.id)?.rowsWritten ?? 0),
              batches: c.batches,
              durationMs: m?.durationMs ?? 0,
              resumed: m ? (m.resumed ?? false) : true,
            },
          };
        });
      await engine.cursors.clear(scope);
      await finish(
        ctx,
        resultsOf(ctx, entries, (u) => (cursors.get(u.id)!.batches > 0 ? 'batched' : 'inline'), validations),
      );
    },

    afterRun(run: RunInfo, result: RunResult) {
      const results = byRun.get(run.runId);
      byRun.delete(run.runId);
      if (results) result.extras[TRANSFORMATION_RESULTS_KEY] = results;
    },
  };
}
