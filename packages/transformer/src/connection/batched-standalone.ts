import {
  type BatchPacing,
  DEFAULT_LOCK_WAIT,
  type LockWaitPolicy,
  MfmigError,
  type RunnableConnection,
  inRetriedTransaction,
  pacingFor,
  retryableWithin,
} from '@mfmig/core';
import { parseTransformations } from '../declaration/parse-transformation.js';
import { planUnits } from '../declaration/transformation-unit.js';
import { ConnectionCursorStore } from './connection-cursor-store.js';
import type { ConnectionProgress, ConnectionTransformationResult } from './connection-result.js';
import { continueResumable, finalizeResumable, startResumable } from './resumable-transformations.js';

/** Options of {@link transformInBatchesOn}. */
export interface BatchedTransformOptions {
  /**
   * Names the job, so that the same call after a crash or an interruption resumes it from its
   * cursors (`mfmig_transform_cursors`, scope `standalone:<scope>`) rather than starting over.
   */
  scope: string;
  /** Largest batch, in source rows, unless a transformation declares its own `batchSize`; within it, `pacing` sizes each batch by time. Default 100,000, as in a migration. */
  batchSize?: number;
  /** Batch duration and the pause after each commit. Default: `pacingFor` the connection (100 ms batches; no pause on PostgreSQL). */
  pacing?: BatchPacing;
  onProgress?: (p: ConnectionProgress) => void;
  /** Checked before each batch: an abort throws `INTERRUPTED`, and the next call with the same scope resumes. */
  signal?: AbortSignal;
  /** How long to wait for mfmig's run lock (a migration running, or the same job in another process), in ms. Default 10,000. */
  lockTimeoutMs?: number;
  /** The caller holds mfmig's run lock on this connection already (and releases it): the job does not take it again. */
  lockHeld?: boolean;
  /**
   * How long the start of each move and the final transaction wait for their SHARE locks (behind
   * an application transaction open on a source, while every later writer queues behind them), and
   * how often each is retried after backing off. Default `DEFAULT_LOCK_WAIT`: 2 s, 5 retries. When
   * they are spent the call throws `TRANSFORMATION_FAILED` and keeps its cursors and batches: the
   * next call with the same scope goes on with the job.
   */
  lockWait?: LockWaitPolicy;
  /** Forget the scope's cursors first and start over: after `reverseTransformationsOn` took a failed job's rows back out. */
  restart?: boolean;
}

/** What {@link transformInBatchesOn} did. */
export interface BatchedTransformResult {
  /** True when the call went on from cursors an earlier, interrupted call left. */
  resumed: boolean;
  results: ConnectionTransformationResult[];
}

const DEFAULT_BATCH_SIZE = 100_000;

/** The cursor scope of job `scope`, apart from migrations' (`migration:<version>`). */
const jobScope = (scope: string) => `standalone:${scope}`;

/**
 * Runs declared transformations outside any migration, in keyset batches that each commit with
 * their cursor, on PostgreSQL or SQLite: the job for a backfill too long for one transaction.
 * SQL that runs in key ranges of the source's integer key (an `INSERT ... SELECT`, `UPDATE` or
 * `DELETE` over the source, or SQL with `@batchStart`/`@batchEnd`) is batched, as is a row
 * function over such a key, page by page; from the first transformation that is not (an
 * aggregate, `batch: 'never'`, a source without an integer key), the rest run whole in the final
 * transaction. No lock is held between batches, so the application reads and writes
 * meanwhile. A final short transaction SHARE-locks the sources (writers wait, readers do not; the
 * wait is bounded by `lockWait` and retried, so that writers never queue behind a long
 * transaction), moves the rows written above each cursor meanwhile, runs whole what cannot run in
 * key ranges, checks every validation query and removes the cursors. A killed or interrupted call
 * is resumed by the next call with the same `scope`, at the batch after the last committed one,
 * so every source row is moved once. The whole job holds mfmig's run lock: a migration, or the
 * same job started twice, waits for it or is refused (`LOCK_HELD`).
 *
 * A failed validation throws `VALIDATION_FAILED` and keeps what the batches committed, with their
 * cursors, so that a retry never moves a row twice: `reverseTransformationsOn` takes it back out,
 * and `restart: true` then starts over.
 *
 * @example
 * const { results } = await transformInBatchesOn(conn, [backfillTickets], { scope: 'backfill-tickets', onProgress: console.log });
 * results[0].rows; // rows written, over every call that worked on the job
 */
export async function transformInBatchesOn(
  conn: RunnableConnection,
  declared: readonly unknown[],
  options: BatchedTransformOptions,
): Promise<BatchedTransformResult> {
  if (options.scope.trim() === '') throw new MfmigError('USAGE', 'Give the job a scope: the same scope resumes it after a crash');
  const units = planUnits(parseTransformations(declared));
  if (units.length === 0) return { resumed: false, results: [] };
  const scope = jobScope(options.scope);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const store = new ConnectionCursorStore(conn);
  if (!options.lockHeld) await conn.lock.acquire({ timeoutMs: options.lockTimeoutMs ?? 10_000, command: `transform ${options.scope}` });
  try {
    if (options.restart) await conn.transaction(() => forgetBatchedJob(conn, options.scope));
    const saved = await store.list(scope);
    const stranger = saved.find((c) => !units.some((u) => u.id === c.transformationId));
    if (stranger) {
      throw new MfmigError(
        'USAGE',
        `Scope ${options.scope} holds the cursor of transformation ${stranger.transformationId}, which is not among these; give this job a scope of its own`,
      );
    }
    if (saved.length === 0) await conn.transaction(() => startResumable(conn, scope, units, []));
    const pacing = options.pacing ?? pacingFor(conn.capabilities);
    const rerun = `run the job again with scope ${options.scope}`;
    const lockWait = options.lockWait ?? DEFAULT_LOCK_WAIT;
    const run = { batchSize, pacing, onProgress: options.onProgress, signal: options.signal, rerun, lockWait, failure: 'TRANSFORMATION_FAILED' as const };
    const spent = await continueResumable(conn, scope, units, run);
    // a statement's server error comes wrapped in TRANSFORMATION_FAILED; spent waits keep the batches for the next call
    const exhausted = (error: unknown, attempt: number) =>
      new MfmigError(
        'TRANSFORMATION_FAILED',
        `The final transaction of job ${options.scope} could not finish behind another transaction (it waited more than ${lockWait.lockTimeoutMs} ms for its locks, or the server aborted it over a conflict), ${attempt + 1} time(s); its batches are kept: run it again with the same scope to finish`,
        { cause: error },
      );
    const retried = { lockWait, retryable: (error: unknown) => retryableWithin(conn, error), exhausted };
    const results = await inRetriedTransaction(conn, retried, () => finalizeResumable(conn, scope, units, spent, batchSize));
    return { resumed: saved.length > 0, results };
  } finally {
    if (!options.lockHeld) await conn.lock.release();
  }
}

/**
 * True when job `scope` has cursors an interrupted {@link transformInBatchesOn} left: the next call
 * with that scope resumes it rather than starting over.
 *
 * @example
 * if (await batchedJobPending(conn, 'backfill-tickets')) console.log('resuming');
 */
export async function batchedJobPending(conn: RunnableConnection, scope: string): Promise<boolean> {
  return (await new ConnectionCursorStore(conn).list(jobScope(scope))).length > 0;
}

/**
 * Forgets job `scope`'s cursors, in the caller's transaction if any: after its rows were taken
 * back out (`reverseTransformationsOn`), so that the next call starts over.
 *
 * @example
 * await conn.transaction(async () => { await reverseTransformationsOn(conn, list); await forgetBatchedJob(conn, 'backfill-tickets'); });
 */
export async function forgetBatchedJob(conn: RunnableConnection, scope: string): Promise<void> {
  const store = new ConnectionCursorStore(conn);
  if (await store.exists()) await store.clear(jobScope(scope));
}
