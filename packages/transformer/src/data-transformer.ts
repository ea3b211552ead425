import type {
  DialectParticipant,
  MigrationEventEmitter,
  MigrationEvents,
  MigrationFrameworkConfig,
  MigrationPlugin,
  ServiceContext,
  SqliteConnection,
} from '@mfmig/core';
import { createServiceContext, isServiceContext } from '@mfmig/core';
import type { BatchPolicy, DataTransformation } from './declaration/data-transformation.js';
import type { TransformationUnit } from './declaration/transformation-unit.js';
import { createConnectionTransformer } from './connection-participant.js';
import { createTransformerPlugin } from './plugin/transformer-plugin.js';
import { toResult } from './run/result-builder.js';
import type { TransformationResult, ValidationResult } from './run/transformation-result.js';
import { validationError } from './run/validation-runner.js';
import { StandaloneRun } from './standalone-run.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions, TransformationEngine } from './transformation-engine.js';

/**
 * Options of a {@link DataTransformer}.
 *
 * @example
 * new DataTransformer({ database: db }, { batchSize: 5_000, batchThreshold: 50_000 });
 */
export interface DataTransformerOptions extends Partial<EngineOptions> {
  /** Write one `mfmig_metrics` row per transformation when run by the plugin. Default: the config's `enableMetrics`. */
  recordMetrics?: boolean;
  /**
   * Put the transformer's plugin on a shared context's plugin list when none handles
   * transformations yet. Default true; `false` when the caller composes the list itself from {@link DataTransformer.plugin}.
   */
  register?: boolean;
}

/** Options of one {@link DataTransformer.execute}.
 *
 * @example
 * await transformer.execute(t, { batch: 'always', scope: 'nightly-load', signal: controller.signal });
 */
export interface ExecuteOptions {
  /** Overrides every transformation's own batch policy. */
  batch?: BatchPolicy;
  /** Cursor scope: a killed run is resumed by executing again with the same scope. Default `standalone`. */
  scope?: string;
  signal?: AbortSignal;
  /** Count instead of running (same as {@link DataTransformer.dryRun}). */
  dryRun?: boolean;
}

/** What an execute, dry run or reverse did.
 *
 * @example
 * const { results, validations } = await transformer.execute(t);
 */
export interface TransformationReport {
  dryRun: boolean;
  results: TransformationResult[];
  validations: ValidationResult[];
  durationMs: number;
}

type OneOrMany = DataTransformation | readonly DataTransformation[];

/**
 * Runs data transformations on a database, with or without the rest of mfmig: from a plain
 * configuration (`{ database: betterSqlite3Db | path }`) or the framework's ServiceContext.
 * Progress goes out as `operationProgress` events; results keep per-transformation metrics.
 * Given a ServiceContext, it also registers its migration plugin there, so that migrations
 * declaring `transformations` run through it.
 *
 * @example
 * const transformer = new DataTransformer({ database: new Database('./knowledge.db') });
 * transformer.events.on('operationProgress', (p) => console.log(p.done, '/', p.total, p.etaMs));
 * const report = await transformer.execute(kbToIncidents, { batch: 'always' });
 * console.log(report.results[0].rowsWritten);
 */
export class DataTransformer {
  readonly context: ServiceContext;
  readonly events: MigrationEventEmitter<MigrationEvents>;
  readonly #engine: TransformationEngine;
  readonly #options: DataTransformerOptions;
  readonly #history: TransformationResult[] = [];

  constructor(config: MigrationFrameworkConfig | ServiceContext, options: DataTransformerOptions = {}) {
    const shared = isServiceContext(config);
    this.context = createServiceContext(config);
    this.events = this.context.events;
    this.#options = { recordMetrics: this.context.config.enableMetrics, ...options };
    this.#engine = new TransformationEngine(this.context.connection, {
      rowBatchSize: options.rowBatchSize ?? this.context.config.batchSize ?? DEFAULT_ENGINE_OPTIONS.rowBatchSize,
      sqlBatchSize: options.sqlBatchSize ?? DEFAULT_ENGINE_OPTIONS.sqlBatchSize,
      batchThreshold: options.batchThreshold ?? DEFAULT_ENGINE_OPTIONS.batchThreshold,
      pacing: options.pacing ?? DEFAULT_ENGINE_OPTIONS.pacing,
      stageQueries: options.stageQueries ?? true,
      copyReadsMinBytes: options.copyReadsMinBytes,
    });
    if (shared && options.register !== false && !this.context.plugins.some((p) => p.handlesTransformations)) this.context.plugins.push(this.plugin());
  }

  /** The connection the transformations run on. */
  get connection(): SqliteConnection {
    return this.context.connection;
  }

  /**
   * Runs transformations in dependency order. Small ones (and everything, when none is
   * batched) run in one transaction with their validation; large ones in batches committed
   * with a cursor. A failed validation undoes the run (reverses the batched part).
   */
  async execute(transformations: OneOrMany, options: ExecuteOptions = {}): Promise<TransformationReport> {
    if (options.dryRun) return this.dryRun(transformations);
    const units = this.#engine.plan(list(transformations));
    const run = new StandaloneRun(this.#engine, units, {
      scope: options.scope ?? 'standalone',
      policy: options.batch,
      signal: options.signal,
      onProgress: (p) => this.events.emit('operationProgress', p),
    });
    const report = await run.execute();
    this.#history.push(...report.results);
    return report;
  }

  /** Counts the rows each transformation would read and write, writing nothing. */
  async dryRun(transformations: OneOrMany): Promise<TransformationReport> {
    const start = performance.now();
    const units = this.#engine.plan(list(transformations));
    const results: TransformationResult[] = [];
    for (const unit of units) results.push(toResult(unit, 'dry-run', await this.#engine.count(unit), []));
    return { dryRun: true, results, validations: [], durationMs: performance.now() - start };
  }

  /** Runs the declared reverses (last first) in one transaction and forgets saved cursors of `scope`. */
  async reverse(transformations: OneOrMany, options: { scope?: string } = {}): Promise<TransformationReport> {
    const start = performance.now();
    const units = this.#engine.plan(list(transformations));
    const reversed = await this.connection.transaction(async () => {
      const r = await this.#engine.reverse(units, false);
      await this.#engine.cursors.clear(options.scope ?? 'standalone');
      return r;
    });
    const results = reversed.map(({ unit, counts }) => toResult(unit, 'reverse', counts, []));
    this.#history.push(...results);
    return { dryRun: false, results, validations: [], durationMs: performance.now() - start };
  }

  /** Runs the validation queries of transformations now; throws `VALIDATION_FAILED` when `throwOnFailure`. */
  async validate(transformations: OneOrMany, options: { throwOnFailure?: boolean } = {}): Promise<ValidationResult[]> {
    const results = await this.#engine.validate(this.#engine.plan(list(transformations)));
    const error = options.throwOnFailure ? validationError(results) : null;
    if (error) throw error;
    return results;
  }

  /** The units transformations run as, in order (dependencies resolved, `migrate` steps expanded). */
  plan(transformations: OneOrMany): TransformationUnit[] {
    return this.#engine.plan(list(transformations));
  }

  /** Results of everything this instance ran, for metrics. */
  getMetrics(): TransformationResult[] {
    return [...this.#history];
  }

  /** The migration plugin with this transformer's sizes and metrics setting. */
  plugin(): MigrationPlugin {
    return createTransformerPlugin({ ...this.#engine.options, recordMetrics: this.#options.recordMetrics });
  }

  /**
   * The same engine, with this transformer's sizes, as a `DialectMigrator` participant
   * (`createConnectionTransformer`) for a run on a `SqliteConnection` (metrics rows follow the
   * run's `enableMetrics`).
   */
  participant(): DialectParticipant {
    return createConnectionTransformer({ sqlite: { ...this.#engine.options } });
  }

  /** Closes the database when this transformer opened it. */
  close(): void {
    this.context.close();
  }
}

function list(t: OneOrMany): DataTransformation[] {
  return Array.isArray(t) ? [...(t as DataTransformation[])] : [t as DataTransformation];
}
