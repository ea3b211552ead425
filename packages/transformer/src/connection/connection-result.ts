import type { TransformationType } from '../declaration/transformation-types.js';
import type { ValidationResult } from '../run/transformation-result.js';

/**
 * Progress of one transformation on a connection, in source rows.
 *
 * @example
 * const onProgress = (p: ConnectionProgress) => console.log(`${p.operation}: ${p.done}/${p.total}`);
 */
export interface ConnectionProgress {
  operation: string;
  done: number;
  total: number;
  unit: 'rows';
}

/**
 * Options of `applyTransformationsOn`.
 *
 * @example
 * const options: ApplyOnConnectionOptions = { batchSize: 5_000, onProgress: console.log };
 */
export interface ApplyOnConnectionOptions {
  /** Source rows (SQL: key values) per batch, unless a transformation declares its own `batchSize`. Default 100,000. */
  batchSize?: number;
  onProgress?: (p: ConnectionProgress) => void;
  /** Checked before each batch; an abort throws `INTERRUPTED` (the caller's transaction then rolls back). */
  signal?: AbortSignal;
}

/**
 * What one transformation (or one step of a `migrate` one, id `parent.step`) did on a connection.
 * Field names follow `TransformationResult`; `rows` is its `rowsWritten`.
 *
 * @example
 * for (const r of await applyTransformationsOn(conn, migration.transformations)) console.log(r.id, r.rows, r.batches);
 */
export interface ConnectionTransformationResult {
  id: string;
  name: string;
  transformationType: TransformationType;
  sourceTable: string;
  targetTable: string;
  /** Source rows the transformation covered. */
  rowsRead: number;
  /** Rows inserted, updated or deleted. */
  rows: number;
  batches: number;
  durationMs: number;
  /** Its validation queries (and, for a step, its `migrate` parent's), all passed. */
  validations: ValidationResult[];
}

/**
 * What one reverse did on a connection.
 *
 * @example
 * for (const r of await reverseTransformationsOn(conn, migration.transformations)) console.log(r.id, r.rows);
 */
export interface ConnectionReverseResult {
  id: string;
  name: string;
  /** Rows the reverse deleted or changed. */
  rows: number;
  durationMs: number;
}

/**
 * The counts of one unit's run, before it becomes a result.
 *
 * @example
 * const counts: UnitCounts = { rowsRead: 2_500, rows: 2_500, batches: 3 };
 */
export interface UnitCounts {
  rowsRead: number;
  rows: number;
  batches: number;
}

/**
 * What a unit runner is given besides the connection and the unit.
 *
 * @example
 * const run: UnitRunContext = { batchSize: 10_000, onProgress: () => {} };
 */
export interface UnitRunContext {
  batchSize: number;
  onProgress?: (p: ConnectionProgress) => void;
  signal?: AbortSignal;
}
