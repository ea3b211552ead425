import type { OperationProgress, SqliteConnection } from '@mfmig/core';
import { BatchPacer, type BatchPacing, DEFAULT_PACING, MfmigError, quoteIdentifier, usesBatchParams } from '@mfmig/core';
import type { Row } from '../declaration/data-transformation.js';
import { BatchRowWriter } from '../connection/batch-row-writer.js';
import { countRows } from '../connection/connection-queries.js';
import { adoptedCursor } from './adopted-cursor.js';
import type { CursorStore, TransformCursor } from './cursor-store.js';
import { KeyBounds } from './key-bounds.js';
import { type PreparedUnit, pageSql } from './prepared-unit.js';
import { ProgressMeter } from './progress-meter.js';
import { runStatement, transformationError } from './statement-runner.js';
import { type StagedOutcome, runStaged, stagedPlanOf } from './staged-unit.js';
import { primaryKeyColumns } from '../sql/table-info.js';

/**
 * How often a batched unit's end key moves on to rows the application wrote above it while the
 * batches ran; what it writes after that moves in the transaction that marks the migration
 * applied (see `runUnitRest`).
 */
const MAX_EXTENSIONS = 10;

/** What running one unit did. */
export interface UnitStats {
  rowsRead: number;
  rowsWritten: number;
  batches: number;
  durationMs: number;
  resumed: boolean;
}

/** Progress and interruption for a unit run. */
export interface UnitRunOptions {
  onProgress?: (progress: OperationProgress) => void;
  signal?: AbortSignal;
  /** Run a batched unit as one batch (its policy is `never`, or it is small). */
  whole?: boolean;
  /** Batch duration and pause between batches. Default {@link DEFAULT_PACING}. */
  pacing?: BatchPacing;
  /** Let a unit run as one batch stage its query outside the write lock (see {@link runStaged}). Default true. */
  staged?: boolean;
}

/**
 * Runs a unit whole inside the caller's transaction (small transformations, or a migration's
 * own transaction). Row functions still read the source in keyset pages, so memory stays flat.
 *
 * @example
 * await conn.transaction(() => runUnitInline(conn, prepared, {}));
 */
export async function runUnitInline(conn: SqliteConnection, p: PreparedUnit, options: UnitRunOptions): Promise<UnitStats> {
  const start = performance.now();
  const total = await countRows(conn, p.t.sourceTable);
  const meter = new ProgressMeter(`transform ${p.unit.id}`, total, 0);
  let written = 0;
  let read = 0;
  let batches = 0;
  if (!p.rowFn) {
    const needsRange = p.statements.some((s) => usesBatchParams(s));
    const bounds = needsRange && p.key ? new KeyBounds(conn, p.t.sourceTable, p.key) : null;
    const range = bounds ? { start: await bounds.before(), end: await bounds.max() } : null;
    if (!needsRange || !bounds || range!.end !== null) {
      for (const statement of p.statements) written += await runStatement(conn, statement, range, p.unit.id);
    }
    read = total;
    batches = 1;
  } else {
    const writer = rowWriter(conn, p);
    const pages = p.key ? keysetPages(conn, p) : offsetPages(conn, p);
    for await (const rows of pages) {
      written += await applyRowFunction(p, rows, writer);
      read += rows.length;
      batches++;
      options.onProgress?.(meter.report(read));
    }
  }
  options.onProgress?.(meter.report(read));
  return { rowsRead: read, rowsWritten: written, batches, durationMs: performance.now() - start, resumed: false };
}

/**
 * Runs a unit in batches, each committed in its own IMMEDIATE transaction together with the
 * unit's cursor, so that a killed process resumes at the next batch with no row done twice
 * or missed. Batches are sized by time and spaced (see {@link BatchPacer}), so that the
 * application's writers get the lock between them. The cursor must exist (status `pending`, or where a previous run stopped).
 *
 * @example
 * const stats = await runUnitBatched(conn, prepared, store, cursor, { onProgress: console.log });
 */
export async function runUnitBatched(
  conn: SqliteConnection,
  p: PreparedUnit,
  store: CursorStore,
  cursor: TransformCursor,
  options: UnitRunOptions,
): Promise<UnitStats> {
  const start = performance.now();
  const resumed = cursor.status !== 'pending';
  if (cursor.status === 'done') return { rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten, batches: cursor.batches, durationMs: 0, resumed };
  const batchable = !options.whole && p.key !== null && (p.rowFn !== undefined || p.batchStatements !== null);
  let state: TransformCursor = await adoptedCursor(conn, p, cursor, batchable);
  if (!batchable) return runAsOneBatch(conn, p, store, cursor, options, start);
  const bounds = new KeyBounds(conn, p.t.sourceTable, p.key!);
  if (state.status === 'pending') {
    const lastKey = await bounds.before();
    const endKey = await bounds.max();
    state = {
      ...state,
      status: 'running',
      lastKey,
      endKey,
      total: KeyBounds.span(lastKey, endKey) ?? (await countRows(conn, p.t.sourceTable)),
      keyColumn: p.key,
    };
    const started = state;
    await conn.transaction(() => store.save(started));
  }
  const meter = new ProgressMeter(`transform ${p.unit.id}`, state.total ?? 0, progressOf(state));
  const writer = p.rowFn ? rowWriter(conn, p) : null;
  const page = p.rowFn ? pageSql(p) : null;
  const pacer = new BatchPacer(options.pacing ?? DEFAULT_PACING, p.batchSize);
  let extensions = 0;
  while (state.endKey !== null) {
    if (options.signal?.aborted) {
      throw new MfmigError('INTERRUPTED', `Transformation ${p.unit.id} interrupted after ${state.rowsRead} rows; run again to resume from the saved cursor`, {
        context: { transformation: p.unit.id },
      });
    }
    const size = pacer.size;
    const batchStart = performance.now();
    const next = await conn.writeTurn(async () => {
      let rows: number;
      let written = 0;
      let end: unknown;
      if (page && writer) {
        const batch = await conn.query<Row>(page, [state.lastKey, state.endKey, size]);
        if (batch.length === 0) return null;
        // exact beyond 2^53, and read before the row function may change the row
        end = batch[batch.length - 1]![p.key!];
        written = await applyRowFunction(p, batch, writer);
        rows = batch.length;
      } else {
        const bound = await bounds.next(state.lastKey, state.endKey, size);
        if (bound === null) return null;
        for (const statement of p.batchStatements!) written += await runStatement(conn, statement, { start: state.lastKey, end: bound.end }, p.unit.id);
        rows = bound.rows;
        end = bound.end;
      }
      const saved: TransformCursor = {
        ...state,
        lastKey: end,
        rowsRead: state.rowsRead + rows,
        rowsWritten: state.rowsWritten + written,
        batches: state.batches + 1,
      };
      await store.save(saved);
      return saved;
    });
    if (next === null) {
      // the application wrote above the end key meanwhile: go on to the largest key now, a few times at most
      const end = extensions++ < MAX_EXTENSIONS ? await bounds.beyond(state.endKey) : null;
      if (end === null) break;
      state = { ...state, endKey: end.key, total: state.total === null ? null : state.total + end.span };
      meter.grow(end.span);
      continue;
    }
    pacer.record(next.rowsRead - state.rowsRead, performance.now() - batchStart);
    state = next;
    options.onProgress?.(meter.report(progressOf(state)));
    await pacer.pause();
  }
  state = { ...state, status: 'done' };
  const done = state;
  await conn.transaction(() => store.save(done));
  options.onProgress?.(meter.report(Math.max(state.total ?? 0, state.rowsRead)));
  return { rowsRead: state.rowsRead, rowsWritten: state.rowsWritten, batches: state.batches, durationMs: performance.now() - start, resumed };
}

/**
 * A unit that cannot be split (no key, SQL that does not read its source by range, or
 * `batch: 'never'`): one transaction with its cursor. An `INSERT ... SELECT` on a WAL database
 * runs staged instead (see {@link runStaged}): its query runs outside the write lock, which is
 * held only to insert the rows it gave.
 */
async function runAsOneBatch(
  conn: SqliteConnection,
  p: PreparedUnit,
  store: CursorStore,
  cursor: TransformCursor,
  options: UnitRunOptions,
  start: number,
): Promise<UnitStats> {
  const plan = options.staged === false ? null : await stagedPlanOf(conn, p);
  if (plan) {
    const save = async (o: StagedOutcome) =>
      store.save({ ...cursor, status: 'done', rowsRead: o.rowsRead, rowsWritten: o.rowsWritten, batches: 1, total: o.rowsRead });
    const staged = await runStaged(conn, p, plan, save, { pacing: options.pacing, signal: options.signal });
    if (staged) {
      options.onProgress?.(new ProgressMeter(`transform ${p.unit.id}`, staged.rowsRead, 0).report(staged.rowsRead));
      return { rowsRead: staged.rowsRead, rowsWritten: staged.rowsWritten, batches: 1, durationMs: performance.now() - start, resumed: false };
    }
  }
  const stats = await conn.transaction(async () => {
    const s = await runUnitInline(conn, p, options);
    await store.save({ ...cursor, status: 'done', rowsRead: s.rowsRead, rowsWritten: s.rowsWritten, batches: 1, total: s.rowsRead });
    return s;
  });
  return { ...stats, durationMs: performance.now() - start };
}

/**
 * How far a running cursor is, in the unit of its total: keys when the total is the key span
 * (the span less the keys left above the last key done), otherwise rows.
 */
function progressOf(c: TransformCursor): number {
  const left = c.total === null ? null : KeyBounds.span(c.lastKey, c.endKey);
  return left === null ? c.rowsRead : Math.max(0, c.total! - left);
}

/**
 * The writer of a row function's rows into its target: multi-row statements (see {@link BatchRowWriter}),
 * as on the server dialects.
 */
export function rowWriter(conn: SqliteConnection, p: PreparedUnit): BatchRowWriter {
  return new BatchRowWriter(conn, p.t.targetTable, p.writeMode, p.writeKey, new Map(), p.unit.id);
}

/** Applies the row function to a page and writes what it returns; returns rows changed. */
export async function applyRowFunction(p: PreparedUnit, rows: Row[], writer: BatchRowWriter): Promise<number> {
  const out: Row[] = [];
  for (const row of rows) {
    let r: ReturnType<NonNullable<PreparedUnit['rowFn']>>;
    try {
      r = p.rowFn!(row);
    } catch (error) {
      throw transformationError(error, p.unit.id);
    }
    if (r === null || r === undefined) continue;
    // copied: the rows are written after the whole page, and a row function may return one object it reuses
    if (Array.isArray(r)) for (const one of r) out.push({ ...one });
    else out.push({ ...r });
  }
  return writer.write(out);
}

/**
 * Pages of a source in key order, up to its largest key when it starts: from the first row, or
 * after the key `from`.
 *
 * @example
 * for await (const rows of keysetPages(conn, prepared)) await writeAll(rows);
 */
export async function* keysetPages(conn: SqliteConnection, p: PreparedUnit, from?: unknown): AsyncGenerator<Row[]> {
  const bounds = new KeyBounds(conn, p.t.sourceTable, p.key!);
  const end = await bounds.max();
  if (end === null) return;
  const page = pageSql(p);
  let after = from === undefined ? await bounds.before() : from;
  for (;;) {
    const rows = await conn.query<Row>(page, [after, end, p.batchSize]);
    if (rows.length === 0) return;
    // exact beyond 2^53, and read before the row function may change the row
    const last = rows[rows.length - 1]![p.key!];
    yield rows;
    after = last;
  }
}

/** Pages of a source without a usable key (composite WITHOUT ROWID key): LIMIT/OFFSET in a stable order. */
async function* offsetPages(conn: SqliteConnection, p: PreparedUnit): AsyncGenerator<Row[]> {
  const columns = p.readColumns ? p.readColumns.map(quoteIdentifier).join(', ') : '*';
  const total = await countRows(conn, p.t.sourceTable);
  const order = (await primaryKeyColumns(conn, p.t.sourceTable)).map(quoteIdentifier).join(', ') || '1';
  const page = `SELECT ${columns} FROM ${quoteIdentifier(p.t.sourceTable)} ORDER BY ${order} LIMIT ? OFFSET ?`;
  for (let offset = 0; offset < total; offset += p.batchSize) yield await conn.query<Row>(page, [p.batchSize, offset]);
}
