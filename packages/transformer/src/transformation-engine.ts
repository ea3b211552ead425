import { type BatchPacing, DEFAULT_PACING, type SqliteConnection } from '@mfmig/core';
import { validationTargets } from './connection/apply-transformations.js';
import { readsMoreRowsThan, scalarOf } from './connection/connection-queries.js';
import { type ValidationTarget, validateOnConnection } from './connection/connection-validations.js';
import type { BatchPolicy } from './declaration/data-transformation.js';
import { parseTransformations } from './declaration/parse-transformation.js';
import { type TransformationUnit, planUnits } from './declaration/transformation-unit.js';
import { readOverCopies } from './run/copied-read.js';
import { CursorStore, type TransformCursor } from './run/cursor-store.js';
import { countUnit } from './run/dry-run-counter.js';
import { type BatchSizes, type PreparedUnit, prepareUnit } from './run/prepared-unit.js';
import type { ResultCounts } from './run/result-builder.js';
import { reverseOrder, runReverse } from './run/reverse-runner.js';
import type { ValidationResult } from './run/transformation-result.js';
import { type UnitRunOptions, runUnitBatched, runUnitInline } from './run/unit-executor.js';
import { type UnitRest, runUnitRest } from './run/unit-rest.js';
import { validationSql } from './run/validation-runner.js';

/** Default of `copyReadsMinBytes`: below it a validation scan is short enough to read the file. */
export const COPY_READS_MIN_BYTES = 64 * 1024 * 1024;

// planned declaration lists (validating them with zod is most of a small run's transformer time)
const PLANNED = new WeakMap<readonly unknown[], TransformationUnit[]>();

/**
 * Sizes and thresholds of an engine.
 *
 * @example
 * new TransformationEngine(conn, { rowBatchSize: 5_000, sqlBatchSize: 50_000, batchThreshold: 10_000 });
 */
export interface EngineOptions extends BatchSizes {
  /** Source rows above which an `auto` transformation runs in batches. */
  batchThreshold: number;
  /** Batch duration and pause between batches (see `BatchPacer`). Default 100 ms and 25 ms. */
  pacing?: BatchPacing;
  /**
   * Let a one-batch `INSERT ... SELECT` on a WAL database run its query outside the write lock
   * and hold the lock only to insert its rows (see `runStaged`). Default true.
   */
  stageQueries?: boolean;
  /**
   * Validation queries run between transactions read TEMP copies on a rollback-journal file of
   * this size or more (see `validateBetweenTransactions`). Default 64 MiB.
   */
  copyReadsMinBytes?: number;
}

/** Defaults: at most 10 000 rows per row-function batch and 100 000 per SQL batch, each batch about 100 ms with 25 ms pauses, batching above 10 000 source rows.
 *
 * @example
 * new TransformationEngine(conn, { ...DEFAULT_ENGINE_OPTIONS, batchThreshold: 0 });
 */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { rowBatchSize: 10_000, sqlBatchSize: 100_000, batchThreshold: 10_000, pacing: DEFAULT_PACING };

/**
 * The machinery shared by {@link DataTransformer} and the migration plugin: plans units,
 * decides batching, runs units inline or in cursor-committed batches, counts dry runs,
 * validates and reverses, through a SQLite connection.
 *
 * @example
 * const engine = new TransformationEngine(conn, DEFAULT_ENGINE_OPTIONS);
 * for (const unit of engine.plan(migration.transformations)) await engine.runInline(unit, {});
 */
export class TransformationEngine {
  readonly connection: SqliteConnection;
  readonly cursors: CursorStore;
  readonly options: EngineOptions;
  readonly #prepared = new WeakMap<TransformationUnit, Promise<PreparedUnit>>();

  constructor(connection: SqliteConnection, options: EngineOptions) {
    this.connection = connection;
    this.options = options;
    this.cursors = new CursorStore(connection);
  }

  /**
   * Validates declarations and returns their units in run order. A migration's list is planned
   * once per process: the runner asks for it before the run and at each stage of the migration.
   */
  plan(declarations: readonly unknown[]): TransformationUnit[] {
    let units = PLANNED.get(declarations);
    if (!units) PLANNED.set(declarations, (units = planUnits(parseTransformations(declarations))));
    return units;
  }

  /** The unit resolved against the database, once per unit (a failed resolution is tried again). */
  prepare(unit: TransformationUnit): Promise<PreparedUnit> {
    let p = this.#prepared.get(unit);
    if (!p) {
      p = prepareUnit(this.connection, unit, this.options);
      this.#prepared.set(unit, p);
      p.catch(() => this.#prepared.delete(unit));
    }
    return p;
  }

  /** Whether a unit runs in batches under `policy` (default: its own), given its source size now. */
  async shouldBatch(unit: TransformationUnit, policy?: BatchPolicy): Promise<boolean> {
    const chosen = policy ?? unit.transformation.batch;
    if (chosen !== 'auto') return chosen === 'always';
    // a view or a TEMP table is a source too, which the introspector behind hasMoreRowsThan does not list
    return readsMoreRowsThan(this.connection, unit.transformation.sourceTable, this.options.batchThreshold);
  }

  /**
   * Whether a unit runs after the migration's transaction, between transactions of its own:
   * when it runs in batches, or when it is one batch (`never`) over a source above the
   * threshold, so that its query can be staged (see `runStaged`) instead of holding the
   * migration's write lock.
   */
  async defers(unit: TransformationUnit, policy?: BatchPolicy): Promise<boolean> {
    if ((policy ?? unit.transformation.batch) === 'never')
      return readsMoreRowsThan(this.connection, unit.transformation.sourceTable, this.options.batchThreshold);
    return this.shouldBatch(unit, policy);
  }

  async runInline(unit: TransformationUnit, options: UnitRunOptions): Promise<ResultCounts> {
    return runUnitInline(this.connection, await this.prepare(unit), options);
  }

  async runBatched(unit: TransformationUnit, cursor: TransformCursor, options: UnitRunOptions): Promise<ResultCounts> {
    return runUnitBatched(this.connection, await this.prepare(unit), this.cursors, cursor, {
      pacing: this.options.pacing,
      staged: this.options.stageQueries ?? true,
      ...options,
    });
  }

  /** In the caller's transaction: the rows written above a batched unit's cursor since its last batch (see `runUnitRest`). */
  async runRest(unit: TransformationUnit, cursor: TransformCursor): Promise<UnitRest> {
    return runUnitRest(this.connection, await this.prepare(unit), cursor);
  }

  async count(unit: TransformationUnit): Promise<ResultCounts> {
    return countUnit(this.connection, await this.prepare(unit));
  }

  /** A fresh cursor for a unit not started yet. */
  pendingCursor(scope: string, unit: TransformationUnit, seq: number): TransformCursor {
    return {
      scope,
      transformationId: unit.id,
      seq,
      status: 'pending',
      lastKey: null,
      endKey: null,
      rowsRead: 0,
      rowsWritten: 0,
      total: null,
      batches: 0,
      updatedAt: '',
    };
  }

  /** What each validated thing is: every unit, and each `migrate` parent after its last step. */
  validationTargets(units: TransformationUnit[]): ValidationTarget[] {
    return validationTargets(units);
  }

  /** Runs the validation queries of the units (and of their `migrate` parents), in the caller's transaction if any. */
  validate(units: TransformationUnit[]): Promise<ValidationResult[]> {
    return validateOnConnection(this.connection, validationTargets(units));
  }

  /**
   * Validates between transactions (after batches). On a rollback-journal file of
   * `copyReadsMinBytes` or more, each query reads TEMP copies filled in short paced batches
   * (`readOverCopies`): read on the file, a scan of a large table would stop the application's
   * commits for its whole length (3.7 s at 1,000,000 KB entries). A failure is confirmed on the
   * live file, as is any query the copies cannot answer. The copies are filled once for all the
   * queries of the units.
   */
  async validateBetweenTransactions(units: TransformationUnit[], signal?: AbortSignal): Promise<ValidationResult[]> {
    const targets = validationTargets(units);
    if (targets.length === 0 || !(await this.#large())) return this.validate(units);
    const queries = [...new Set(targets.flatMap(({ t }) => validationSql(t)))];
    const known = await readOverCopies(this.connection, queries, (sql) => scalarOf(this.connection, sql), {
      pacing: this.options.pacing,
      maxRows: this.options.sqlBatchSize,
      signal,
    });
    const results: ValidationResult[] = [];
    for (const target of targets) {
      const checked = await validateOnConnection(this.connection, [target], known);
      results.push(...(known.size > 0 && checked.some((r) => !r.passed) ? await validateOnConnection(this.connection, [target]) : checked));
    }
    return results;
  }

  async #large(): Promise<boolean> {
    try {
      const { pageCount, pageSize } = await this.connection.introspector.storage();
      return pageCount * pageSize >= (this.options.copyReadsMinBytes ?? COPY_READS_MIN_BYTES);
    } catch {
      return false;
    }
  }

  /** Runs (or counts, in a dry run) the declared reverses, last unit first, in the caller's transaction. */
  async reverse(units: TransformationUnit[], dryRun: boolean): Promise<{ unit: TransformationUnit; counts: ResultCounts }[]> {
    const out: { unit: TransformationUnit; counts: ResultCounts }[] = [];
    for (const unit of reverseOrder(units)) out.push({ unit, counts: await runReverse(this.connection, unit, dryRun) });
    return out;
  }
}
