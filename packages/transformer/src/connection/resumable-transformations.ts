import type { DialectConnection, LockWaitPolicy, RunnableConnection } from '@mfmig/core';
import { BatchPacer, type BatchPacing, MfmigError } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { ranWithoutCursor } from '../declaration/cursorless-units.js';
import { validationError } from '../run/validation-runner.js';
import { assertSameKey, ranWhole, rowFunctionResumePoint } from './adopted-cursor.js';
import { type RanUnit, connectionResults, holdSourcesStill, validationTargets } from './apply-transformations.js';
import { hasMoreRowsThan } from './connection-queries.js';
import { type MoveStartOptions, startMove } from './move-start.js';
import type { ConnectionProgress, ConnectionTransformationResult, UnitCounts } from './connection-result.js';
import { validateOnConnection } from './connection-validations.js';
import { type ConnectionCursor, ConnectionCursorStore } from './connection-cursor-store.js';
import { runRowFunctionUnit } from './row-function-unit.js';
import { keyBatchesOf } from './key-batches.js';
import { runSqlUnit } from './sql-unit.js';

/** How the batches of continued transformations run. */
export interface ResumableRunOptions {
  /** Largest batch, in source rows, unless a transformation declares its own `batchSize`. */
  batchSize: number;
  /** Batch duration and the pause after each commit. */
  pacing: BatchPacing;
  onProgress?: (p: ConnectionProgress) => void;
  /** Checked before each batch: an abort throws `INTERRUPTED`, and the next run resumes from the saved cursor. */
  signal?: AbortSignal;
  /** What the `INTERRUPTED` error, and the one of a move that could not start, tell the user to run again. Default: `run migrate again`. */
  rerun?: string;
  /** The lock-wait policy that bounds the start of each move (see `startMove`): a standalone job's, or the migration run's. */
  lockWait?: LockWaitPolicy;
  /** The code of a move that could not start: `TRANSFORMATION_FAILED` for a standalone job. Default `MIGRATION_FAILED`. */
  failure?: MoveStartOptions['failure'];
}

/**
 * The index of the first unit that runs after the migration's transaction (the rest follow it
 * there), or -1: as on SQLite, a unit that says `batch: 'always'`, or `auto` over a source of
 * more than `threshold` rows, when it can run in key ranges (see `keyBatchesOf`: SQL, or a row
 * function over an integer key).
 *
 * @example
 * `rowsOf` answers a source's size instead of counting it on `conn`, when it knows it (see
 * `ConnectionTransformerOptions.rowsOf`).
 *
 * @example
 * const from = await firstDeferred(conn, units, 10_000); // 0: kb_entries holds 50,000 rows
 */
export async function firstDeferred(
  conn: DialectConnection,
  units: readonly TransformationUnit[],
  threshold: number,
  rowsOf?: (table: string) => Promise<number | undefined>,
): Promise<number> {
  const large = async (table: string) => {
    const rows = await rowsOf?.(table);
    return rows === undefined ? hasMoreRowsThan(conn, table, threshold) : rows > threshold;
  };
  for (const [index, unit] of units.entries()) {
    const t = unit.transformation;
    if (t.batch === 'never' || (t.batch === 'auto' && !(await large(t.sourceTable)))) continue;
    if (await keyBatchesOf(conn, unit)) return index;
  }
  return -1;
}

/**
 * In the migration's transaction: a `pending` cursor for each unit of the scope that did not run
 * there (`ran` did), so that they commit with the `partial` history row. The units that ran get
 * none: what they did committed with the migration.
 *
 * @example
 * await startResumable(conn, 'migration:5', units, ran);
 */
export async function startResumable(conn: DialectConnection, scope: string, units: readonly TransformationUnit[], ran: readonly RanUnit[]): Promise<void> {
  const store = new ConnectionCursorStore(conn);
  await store.ensure();
  await store.clear(scope);
  for (const [seq, unit] of units.entries()) {
    if (ran.some((r) => r.unit === unit)) continue;
    await store.save({
      scope,
      transformationId: unit.id,
      seq,
      status: 'pending',
      lastKey: null,
      endKey: null,
      rowsRead: 0,
      rowsWritten: 0,
      batches: 0,
      total: null,
    });
  }
}

/**
 * The units that run after the migration's transaction: from the first that has a cursor on, less
 * the `inline` ones earlier versions recorded and the ones SQLite's plugin ran whole (see
 * {@link ranWhole}). The units before it ran in the migration's transaction.
 */
function continuedUnits(units: readonly TransformationUnit[], cursors: ReadonlyMap<string, ConnectionCursor>): TransformationUnit[] {
  const saved = (id: string) => cursors.has(id) && cursors.get(id)!.status !== 'inline';
  const ranInline = ranWithoutCursor(units, saved);
  return units.filter((u) => !ranInline.has(u.id) && cursors.get(u.id)?.status !== 'inline' && !(cursors.has(u.id) && ranWhole(cursors.get(u.id)!)));
}

/**
 * Outside any transaction: runs the scope's pending (or interrupted) units in keyset batches up
 * to the source's largest key when each starts (see {@link startMove}), every batch in its own short transaction with its
 * cursor, paced so that the application's writes go between them; no lock is held across
 * batches. A killed process resumes at the batch after the last committed one. Stops at the
 * first unit that cannot run in key ranges: it and the rest run in the final transaction.
 * Returns the time spent per unit.
 *
 * @example
 * await continueResumable(conn, 'migration:5', units, { batchSize: 100_000, pacing: DEFAULT_PACING });
 */
export async function continueResumable(
  conn: RunnableConnection,
  scope: string,
  units: readonly TransformationUnit[],
  options: ResumableRunOptions,
): Promise<Map<string, number>> {
  const store = new ConnectionCursorStore(conn);
  const cursors = new Map((await store.list(scope)).map((c) => [c.transformationId, c]));
  // a partial migration an older version started: its table may not name key columns yet
  if (cursors.size > 0) await store.ensure();
  const spent = new Map<string, number>();
  for (const unit of continuedUnits(units, cursors)) {
    let c = cursors.get(unit.id);
    if (!c || c.status === 'done') continue;
    const batches = await keyBatchesOf(conn, unit, c);
    if (!batches) break;
    await assertSameKey(conn, unit, c);
    const start = performance.now();
    if (c.status === 'pending')
      c = await startMove(conn, store, batches, unit.transformation.sourceTable, c, {
        rerun: options.rerun,
        lockWait: options.lockWait,
        failure: options.failure,
      });
    const pacer = new BatchPacer(options.pacing, unit.transformation.batchSize ?? options.batchSize);
    while (c.endKey !== null) {
      if (options.signal?.aborted) {
        throw new MfmigError(
          'INTERRUPTED',
          `Transformation ${unit.id} interrupted after ${c.rowsRead} rows; ${options.rerun ?? 'run migrate again'} to resume from the saved cursor`,
          {
            context: { transformation: unit.id },
          },
        );
      }
      const from: ConnectionCursor = c;
      const batchStart = performance.now();
      const next = await conn.transaction(async () => {
        const batch = await batches.next(from.lastKey, from.endKey, pacer.size);
        if (!batch) return null;
        const saved: ConnectionCursor = {
          ...from,
          lastKey: batch.lastKey,
          rowsRead: from.rowsRead + batch.rowsRead,
          rowsWritten: from.rowsWritten + batch.rowsWritten,
          batches: from.batches + 1,
        };
        await store.save(saved);
        return saved;
      });
      if (!next) break;
      pacer.record(next.rowsRead - from.rowsRead, performance.now() - batchStart);
      c = next;
      options.onProgress?.({ operation: `transform ${unit.id}`, ...keyProgress(c), unit: 'rows' });
      await pacer.pause();
    }
    const done: ConnectionCursor = { ...c, status: 'done' };
    await conn.transaction(() => store.save(done));
    spent.set(unit.id, performance.now() - start);
  }
  return spent;
}

/**
 * How far a running cursor is, in keys: its total is the key span up to its end key (see
 * {@link startMove}), so the part done is that span less the keys left above its last key; a
 * cursor without a span counts its rows.
 */
function keyProgress(c: ConnectionCursor): { done: number; total: number } {
  if (c.total === null || c.endKey === null || c.lastKey === null) return { done: c.rowsRead, total: Math.max(c.total ?? 0, c.rowsRead) };
  const left = Number(BigInt(c.endKey) - BigInt(c.lastKey));
  return { done: Math.max(0, c.total - left), total: c.total };
}

/**
 * In the transaction that marks the migration applied: SHARE locks the sources of the units
 * that ran after the migration's transaction (the application's writes wait from here to the
 * commit, reads go on), moves the rows written above each batched unit's cursor meanwhile, runs
 * whole the units left pending, checks every validation query, and removes the scope's cursors.
 * Returns the results of the units that ran after the migration's transaction.
 *
 * @example
 * const results = await finalizeResumable(conn, 'migration:5', units, spent);
 */
export async function finalizeResumable(
  conn: DialectConnection,
  scope: string,
  units: readonly TransformationUnit[],
  spent: ReadonlyMap<string, number>,
  batchSize: number,
): Promise<ConnectionTransformationResult[]> {
  const store = new ConnectionCursorStore(conn);
  const cursors = new Map((await store.list(scope)).map((c) => [c.transformationId, c]));
  const later = continuedUnits(units, cursors);
  const missing = cursors.size === 0 ? units.at(-1) : later.find((u) => !cursors.has(u.id));
  if (missing) {
    throw new MfmigError('TRANSFORMATION_FAILED', `Transformation ${missing.id} has no saved cursor, so its partial migration cannot be finished`, {
      context: { transformation: missing.id },
    });
  }
  await holdSourcesStill(conn, later);
  const ran: RanUnit[] = [];
  for (const unit of later) {
    const start = performance.now();
    const counts = await finishUnit(conn, unit, cursors.get(unit.id)!, batchSize);
    ran.push({ unit, counts, durationMs: (spent.get(unit.id) ?? 0) + performance.now() - start });
  }
  const validations = await validateOnConnection(conn, validationTargets(units));
  const failed = validationError(validations);
  if (failed) throw failed;
  await store.clear(scope);
  return connectionResults(ran, validations);
}

/** A unit's last part, under the lock: the rows above its cursor, or the whole unit when it never started. */
async function finishUnit(conn: DialectConnection, unit: TransformationUnit, c: ConnectionCursor, batchSize: number): Promise<UnitCounts> {
  const run = { batchSize: unit.transformation.batchSize ?? batchSize };
  if (c.status === 'pending') return unit.transformation.transform ? runRowFunctionUnit(conn, unit, run) : runSqlUnit(conn, unit, run);
  const batches = await keyBatchesOf(conn, unit, c);
  if (!batches && unit.transformation.transform) {
    // SQLite's plugin left its batches part-done: the rest, from its last key
    const rest = await runRowFunctionUnit(conn, unit, run, await rowFunctionResumePoint(conn, unit, c));
    return { rowsRead: c.rowsRead + rest.rowsRead, rows: c.rowsWritten + rest.rows, batches: c.batches + rest.batches };
  }
  if (!batches) {
    throw new MfmigError('TRANSFORMATION_FAILED', `Transformation ${unit.id} can no longer run in key ranges; its partial migration cannot be finished`, {
      context: { transformation: unit.id },
    });
  }
  await assertSameKey(conn, unit, c);
  // SQL runs over the rest in one statement; a row function holds a page in memory at a time
  const size = unit.transformation.transform ? run.batchSize : Number.MAX_SAFE_INTEGER;
  const counts = { rowsRead: c.rowsRead, rows: c.rowsWritten, batches: c.batches };
  for (let after = c.lastKey; ;) {
    const rest = await batches.next(after, null, size);
    if (!rest) return counts;
    counts.rowsRead += rest.rowsRead;
    counts.rows += rest.rowsWritten;
    counts.batches++;
    // a short batch read the last rows: asking again would only find none
    if (rest.rowsRead < size) return counts;
    after = rest.lastKey;
  }
}
