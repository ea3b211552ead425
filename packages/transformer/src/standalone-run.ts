import type { OperationProgress } from '@mfmig/core';
import { MfmigError } from '@mfmig/core';
import type { BatchPolicy } from './declaration/data-transformation.js';
import type { TransformationUnit } from './declaration/transformation-unit.js';
import { type ResultCounts, toResult } from './run/result-builder.js';
import type { TransformationResult, ValidationResult } from './run/transformation-result.js';
import { validationError } from './run/validation-runner.js';
import type { TransformationEngine } from './transformation-engine.js';

/** Settings of one standalone execution. */
export interface StandaloneRunOptions {
  scope: string;
  policy?: BatchPolicy;
  signal?: AbortSignal;
  onProgress: (p: OperationProgress) => void;
}

/**
 * One `DataTransformer.execute`: all inline in one transaction with the validations when
 * nothing is batched; otherwise every unit gets a cursor in `scope` (inline ones commit with
 * theirs marked done), batched ones run batch by batch, and a rerun after a crash skips what
 * is done. Validation runs at the end; a failure reverses what ran and throws.
 *
 * @example
 * await new StandaloneRun(engine, units, { scope: 'standalone', onProgress() {} }).execute();
 */
export class StandaloneRun {
  readonly #engine: TransformationEngine;
  readonly #units: TransformationUnit[];
  readonly #options: StandaloneRunOptions;

  constructor(engine: TransformationEngine, units: TransformationUnit[], options: StandaloneRunOptions) {
    this.#engine = engine;
    this.#units = units;
    this.#options = options;
  }

  async execute(): Promise<{ dryRun: false; results: TransformationResult[]; validations: ValidationResult[]; durationMs: number }> {
    const start = performance.now();
    const { connection, cursors } = this.#engine;
    const saved = new Map((await cursors.list(this.#options.scope)).map((c) => [c.transformationId, c]));
    const batched: boolean[] = [];
    const deferred: boolean[] = [];
    for (const u of this.#units) {
      batched.push(saved.has(u.id) || (await this.#engine.shouldBatch(u, this.#options.policy)));
      // one-batch units over a large source also run between transactions, so their query can be staged
      deferred.push(batched[batched.length - 1]! || (await this.#engine.defers(u, this.#options.policy)));
    }
    const run = { onProgress: this.#options.onProgress, signal: this.#options.signal };
    if (!deferred.some(Boolean)) {
      return connection.transaction(async () => {
        const entries: { unit: TransformationUnit; counts: ResultCounts }[] = [];
        for (const unit of this.#units) entries.push({ unit, counts: await this.#engine.runInline(unit, run) });
        const validations = await this.#engine.validate(this.#units);
        const error = validationError(validations);
        if (error) throw error;
        return { dryRun: false as const, results: this.#results(entries, validations, 'inline'), validations, durationMs: performance.now() - start };
      });
    }
    const entries: { unit: TransformationUnit; counts: ResultCounts }[] = [];
    for (const [seq, unit] of this.#units.entries()) {
      const cursor = saved.get(unit.id) ?? this.#engine.pendingCursor(this.#options.scope, unit, seq);
      if (!saved.has(unit.id)) await connection.transaction(() => cursors.save(cursor));
      entries.push({ unit, counts: await this.#engine.runBatched(unit, cursor, { ...run, whole: !batched[seq] }) });
    }
    const validations = await this.#engine.validateBetweenTransactions(this.#units, this.#options.signal);
    const error = validationError(validations);
    if (error) {
      const reversible = this.#units.every((u) => u.transformation.reversible && u.transformation.reverse !== undefined);
      if (reversible) {
        await connection.transaction(async () => {
          await this.#engine.reverse(this.#units, false);
          await cursors.clear(this.#options.scope);
        });
      }
      throw new MfmigError(
        error.code,
        `${error.message}; ${reversible ? 'the transformed rows were reversed' : `cursors of scope ${this.#options.scope} are kept: fix the data or call reverse()`}`,
        {
          context: { ...error.context, reverted: reversible },
        },
      );
    }
    await connection.transaction(() => cursors.clear(this.#options.scope));
    return { dryRun: false, results: this.#results(entries, validations, 'batched'), validations, durationMs: performance.now() - start };
  }

  #results(entries: { unit: TransformationUnit; counts: ResultCounts }[], validations: ValidationResult[], mode: 'inline' | 'batched'): TransformationResult[] {
    return entries.map(({ unit, counts }) =>
      toResult(
        unit,
        mode,
        counts,
        validations.filter((v) => v.transformationId === unit.id || v.transformationId === unit.parent?.id),
      ),
    );
  }
}
