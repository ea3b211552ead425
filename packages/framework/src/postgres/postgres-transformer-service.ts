import { DEFAULT_LOCK_WAIT, type LockWaitPolicy, type PostgresConnection } from '@mfmig/core';
import {
  type ExecuteOptions,
  type TransformationReport,
  type TransformationResult,
  type TransformationUnit,
  type ValidationResult,
  batchedJobPending,
  countRows,
  forgetBatchedJob,
  hasMoreRowsThan,
  holdSourcesStill,
  toResult,
  transformInBatchesOn,
  reverseTransformationsOn,
  runUnitsOn,
  validateOnConnection,
  validationError,
  validationTargets,
} from '@mfmig/transformer';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import {
  type CountedUnit,
  type Transformations,
  inOneTransaction,
  plannedUnits,
  progressEmitter,
  ranResults,
  requireSources,
  reverseResults,
} from './postgres-transformer-results.js';

/** Sources above this many rows are moved in committed batches (`batch: 'auto'`), as `DataTransformer`'s default on SQLite. */
const BATCH_THRESHOLD = 100_000;

/**
 * `framework.transformer` on PostgreSQL: `DataTransformer`'s methods, options and results, run
 * through the transformer's connection functions on sessions of the framework's own. `execute`,
 * `dryRun` and `reverse` take the run lock migrations take (`LOCK_HELD` after `lockTimeout`).
 *
 * `execute` runs, as on SQLite, in committed batches when a transformation says
 * `batch: 'always'` (or `options.batch` does), when one reads more than 100,000 rows
 * (`batch: 'auto'`), or when `scope` (default `standalone`) holds the cursors of an execute that
 * was interrupted: keyset batches each committed with its cursor, no lock held between them, then
 * one short transaction that moves what the application wrote meanwhile and checks the
 * validations (`transformInBatchesOn`). Executing again with the same scope after a crash or an
 * abort resumes at the next batch; a failed validation keeps the batches, which `reverse` with
 * that scope takes back out, forgetting the cursors. Otherwise, and for `dryRun` and `reverse`, it
 * is ONE transaction: SHARE locks on the sources (the application's writes there wait, bounded by
 * `lockWait`, and the whole transaction is retried like a migration's), the units, then the
 * validations; a failure, a failed validation (`VALIDATION_FAILED`) or an abort (`INTERRUPTED`)
 * rolls everything back.
 *
 * @example
 * framework.context.events.on('operationProgress', (p) => console.log(p.done, '/', p.total));
 * const report = await framework.transformer.execute(kbToIncidents);
 * console.log(report.results[0].rowsWritten);
 */
export class PostgresTransformer {
  readonly #ctx: PostgresFrameworkContext;
  readonly #batchSize: number | undefined;
  readonly #lockWait: LockWaitPolicy;
  readonly #history: TransformationResult[] = [];

  constructor(context: PostgresFrameworkContext, options: { batchSize?: number } = {}) {
    this.#ctx = context;
    this.#batchSize = options.batchSize;
    this.#lockWait = { ...DEFAULT_LOCK_WAIT, ...context.config.lockWait };
  }

  /** Runs transformations in dependency order with their validations: in committed, resumable batches when large, else in one transaction. */
  async execute(transformations: Transformations, options: ExecuteOptions = {}): Promise<TransformationReport> {
    if (options.dryRun) return this.dryRun(transformations);
    const start = performance.now();
    const units = plannedUnits(transformations, options.batch);
    const scope = options.scope ?? 'standalone';
    const { results, validations } = await this.#locked('transform', async (conn) => {
      if (await this.#batched(conn, units, scope)) {
        const batched = await this.#runBatched(conn, transformations, units, scope, options);
        return { results: batched, validations: [...new Set(batched.flatMap((r) => r.validations))] };
      }
      const ran = await inOneTransaction(conn, this.#lockWait, { signal: options.signal, commit: true }, () => this.#run(conn, units, options, true));
      return { results: ranResults(ran.counted, ran.validations, 'inline'), validations: ran.validations };
    });
    this.#history.push(...results);
    return { dryRun: false, results, validations, durationMs: performance.now() - start };
  }

  /** Whether an execute runs in committed batches: asked for, a source over the threshold, or cursors of this scope left by an interrupted one. */
  async #batched(conn: PostgresConnection, units: readonly TransformationUnit[], scope: string): Promise<boolean> {
    if (await batchedJobPending(conn, scope)) return true;
    for (const { transformation: t } of units) {
      if (t.batch === 'always' || (t.batch === 'auto' && (await hasMoreRowsThan(conn, t.sourceTable, BATCH_THRESHOLD)))) return true;
    }
    return false;
  }

  /** The batched, resumable execute (see `transformInBatchesOn`), under the run lock this call holds. */
  async #runBatched(
    conn: PostgresConnection,
    transformations: Transformations,
    units: readonly TransformationUnit[],
    scope: string,
    options: ExecuteOptions,
  ): Promise<TransformationResult[]> {
    const list = (Array.isArray(transformations) ? transformations : [transformations]).map((t) =>
      options.batch === undefined ? t : { ...t, batch: options.batch },
    );
    const { resumed, results } = await transformInBatchesOn(conn, list, {
      scope,
      lockHeld: true,
      lockWait: this.#lockWait,
      onProgress: progressEmitter(this.#ctx.events),
      ...(this.#batchSize === undefined ? {} : { batchSize: this.#batchSize }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return results.map((r) => {
      const unit = units.find((u) => u.id === r.id)!;
      return toResult(unit, 'batched', { rowsRead: r.rowsRead, rowsWritten: r.rows, batches: r.batches, durationMs: r.durationMs, resumed }, r.validations);
    });
  }

  /**
   * Runs transformations as `execute` does, then rolls back: the rows each would read and write
   * are the real figures, and the validations they would meet are reported (not thrown). Nothing
   * stays written; meanwhile it holds the run lock and the same table locks as an execute.
   */
  async dryRun(transformations: Transformations): Promise<TransformationReport> {
    const start = performance.now();
    const units = plannedUnits(transformations);
    const { counted, validations } = await this.#locked('transform --dry-run', (conn) =>
      inOneTransaction(conn, this.#lockWait, { commit: false }, () => this.#run(conn, units, {}, false)),
    );
    return { dryRun: true, results: ranResults(counted, validations, 'dry-run'), validations, durationMs: performance.now() - start };
  }

  /** Runs the declared SQL reverses (last first) in one transaction under the run lock, and forgets the cursors a batched execute of `scope` left. */
  async reverse(transformations: Transformations, options: { scope?: string; signal?: AbortSignal } = {}): Promise<TransformationReport> {
    const start = performance.now();
    const units = plannedUnits(transformations);
    const list = Array.isArray(transformations) ? transformations : [transformations];
    const signal = options.signal ? { signal: options.signal } : {};
    const reversed = await this.#locked('transform --reverse', (conn) =>
      inOneTransaction(conn, this.#lockWait, { signal: options.signal, commit: true }, async () => {
        const done = await reverseTransformationsOn(conn, list, signal);
        await forgetBatchedJob(conn, options.scope ?? 'standalone');
        return done;
      }),
    );
    const results = reverseResults(units, reversed);
    this.#history.push(...results);
    return { dryRun: false, results, validations: [], durationMs: performance.now() - start };
  }

  /** Runs the validation queries now, on a read-only session in one snapshot; throws `VALIDATION_FAILED` when `throwOnFailure`. */
  async validate(transformations: Transformations, options: { throwOnFailure?: boolean } = {}): Promise<ValidationResult[]> {
    const targets = validationTargets(plannedUnits(transformations));
    const timeout = this.#ctx.validationTimeout;
    const results = await this.#ctx.session('read', (conn) =>
      conn.transaction(async () => {
        await conn.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        if (timeout !== undefined) await conn.execute(`SET LOCAL statement_timeout = ${Math.round(timeout)}`);
        return validateOnConnection(conn, targets);
      }),
    );
    const error = options.throwOnFailure ? validationError(results) : null;
    if (error) throw error;
    return results;
  }

  /** The units transformations run as, in order (dependencies resolved, `migrate` steps expanded). */
  plan(transformations: Transformations): TransformationUnit[] {
    return plannedUnits(transformations);
  }

  /** Results of everything this instance ran, for metrics. */
  getMetrics(): TransformationResult[] {
    return [...this.#history];
  }

  /** Nothing to close: each call opens and closes its own session. */
  close(): void {}

  /** The units, each after counting its source, then the validations; throws `VALIDATION_FAILED` when `strict`. */
  async #run(conn: PostgresConnection, units: TransformationUnit[], options: ExecuteOptions, strict: boolean): Promise<Ran> {
    await requireSources(conn, units);
    await holdSourcesStill(conn, units);
    const counted: CountedUnit[] = [];
    for (const unit of units) {
      // what SQLite reports as a SQL transformation's rowsRead (the connection functions count written rows, or the key span)
      const rowsRead = unit.transformation.transform ? undefined : await countRows(conn, unit.transformation.sourceTable);
      const run = { onProgress: progressEmitter(this.#ctx.events), ...(options.signal ? { signal: options.signal } : {}) };
      const [ran] = await runUnitsOn(conn, [unit], this.#batchSize === undefined ? run : { ...run, batchSize: this.#batchSize });
      counted.push({ ran: ran!, rowsRead: rowsRead ?? ran!.counts.rowsRead });
    }
    const validations = await validateOnConnection(conn, validationTargets(units));
    const failed = strict ? validationError(validations) : null;
    if (failed) throw failed;
    return { counted, validations };
  }

  /** `fn` on a runner's session holding the run lock, as a migration run takes it. */
  async #locked<T>(command: string, fn: (conn: PostgresConnection) => Promise<T>): Promise<T> {
    return this.#ctx.session('work', async (conn) => {
      const events = this.#ctx.events;
      await conn.lock.acquire({
        timeoutMs: this.#ctx.config.lockTimeout ?? 10_000,
        command,
        onWait: (h) => events.emit('lockWaiting', { holder: `pid ${h.pid} on ${h.host}` }),
        onTakeover: ({ holder, reason, detail }) => events.emit('lockTakenOver', { holder: `pid ${holder.pid} on ${holder.host}`, reason, detail }),
      });
      try {
        return await fn(conn);
      } finally {
        await conn.lock.release();
      }
    });
  }
}

interface Ran {
  counted: CountedUnit[];
  validations: ValidationResult[];
}
