import type { PlannedOperation } from '../plan/plan-types.js';
import type { Calibration } from './calibration.js';

/** What the model knows about the tables: average row size, indexes, and the database against the page cache. */
export interface ModelContext {
  calibration: Calibration;
  /** Average bytes per row, by lower-case table name (calibration row size when unknown). */
  rowBytes: (table: string | undefined) => number;
  /** Indexes a rebuild recreates, by lower-case table name. */
  indexCount: (table: string | undefined) => number;
  /** Fraction of the database that does not fit in SQLite's page cache (0..1). */
  cacheOverflow: number;
  /** Seconds per row of a declared row function, measured on live rows (by transformation id). */
  rowFunctionSeconds: (id: string) => number;
  /** Rows per batch of batched transformations. */
  batchRows: { rowFunction: number; sql: number };
}

/** Per-row cost of a copy for rows of `bytes`, from the wide and narrow calibration points. */
function copyPerRow(c: Calibration, bytes: number): number {
  const s = c.secondsPerRow;
  const slope = (s.copy - s.copyNarrow) / Math.max(1, c.rowBytes - s.narrowRowBytes);
  return Math.max(s.copyNarrow * 0.5, s.copyNarrow + slope * (bytes - s.narrowRowBytes));
}

/**
 * The model estimate of one operation, in seconds, from calibrated throughputs: rows times
 * the per-row cost of its kind (scaled by row size and by how far the database outgrows the
 * page cache), plus the fixed cost of its statements.
 *
 * @example
 * modelSeconds({ kind: 'create-index', table: 'kb_entries', rows: 1_000_000, ... }, context);
 */
export function modelSeconds(op: PlannedOperation, m: ModelContext): number {
  const c = m.calibration;
  const s = c.secondsPerRow;
  const bytes = m.rowBytes(op.table);
  const sourceBytes = m.rowBytes(op.source ?? op.table);
  const width = copyPerRow(c, bytes) / s.copy;
  const spill = 1 + (c.cacheSpillFactor - 1) * m.cacheOverflow;
  const ddl = c.fixedSeconds.ddl;
  const perRow = (() => {
    switch (op.kind) {
      case 'create-index':
        return op.rows * s.indexBuild;
      case 'drop-table':
        return op.rows * s.dropTable * width;
      case 'drop-index':
        return op.rows * s.dropTable * 0.2;
      case 'add-column':
        return op.flags.checksRows ? op.rows * s.scan : 0;
      case 'drop-column':
      case 'table-rebuild':
        return op.rows * s.rebuild * width + op.rows * s.indexBuild * (op.kind === 'table-rebuild' ? m.indexCount(op.table) : 0);
      case 'insert-select':
      case 'create-table':
        return op.rowsWritten * copyPerRow(c, sourceBytes) + Math.max(0, op.rows - op.rowsWritten) * s.scan;
      case 'insert-values':
        return op.rowsWritten * copyPerRow(c, bytes);
      case 'update':
        return op.rows * s.update * width;
      case 'delete':
        return op.rows * s.delete * width;
      case 'transformation':
        return transformationSeconds(op, m, sourceBytes);
      default:
        return 0;
    }
  })();
  return ddl + perRow * spill;
}

function transformationSeconds(op: PlannedOperation, m: ModelContext, sourceBytes: number): number {
  const c = m.calibration;
  const s = c.secondsPerRow;
  if (op.flags.reverse) return op.rows * s.delete;
  const write = op.rowsWritten * copyPerRow(c, m.rowBytes(op.table));
  const batches = op.flags.batched ? Math.ceil(op.rows / (op.flags.rowFunction ? m.batchRows.rowFunction : m.batchRows.sql)) : 0;
  const commits = batches * c.fixedSeconds.commit;
  if (op.flags.rowFunction) return op.rows * (s.rowFunction * (sourceBytes / c.rowBytes) + m.rowFunctionSeconds(op.statement)) + write + commits;
  if (op.flags.transformationType === 'enrich') return op.rows * s.update + commits;
  return op.rows * s.scan + write + commits;
}

/**
 * The model estimate of a whole step: the migration's fixed cost plus its operations.
 *
 * @example
 * modelStepSeconds(step.operations, context); // seconds, fixed cost included
 */
export function modelStepSeconds(ops: PlannedOperation[], m: ModelContext): number {
  return m.calibration.fixedSeconds.migration + ops.reduce((sum, op) => sum + modelSeconds(op, m), 0);
}
