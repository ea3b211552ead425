import type { DialectConnection } from '@mfmig/core';
import { isMfmigError, quoteIdentifier } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { sourceKeyOf } from './source-key.js';

/** What one keyset batch did. */
export interface KeyBatch {
  /** Source key (as text) of the batch's last row. */
  lastKey: string;
  rowsRead: number;
  rowsWritten: number;
}

/**
 * A unit's source cut into keyset batches over its integer key: what a continued move needs of
 * it, whatever the unit runs (SQL bound to each range, or a row function over each page).
 */
export interface KeyBatches {
  /** The source column the batches page by. */
  readonly column: string;
  /** The largest source key now (as text), or null for an empty source. */
  maxKey(): Promise<string | null>;
  /** The keys from the first row's up to `end`: the row count when the keys are dense, an upper bound otherwise. */
  keySpan(end: string): Promise<number>;
  /** Runs the next batch: at most `size` source rows after `after` (null: from the first), up to `end` (null: no bound); null when none is left. */
  next(after: string | null, end: string | null, size: number): Promise<KeyBatch | null>;
}

/** The integer key a unit's source is batched on (see `sourceKeyOf`), or null when it has none. */
export async function integerKeyOf(conn: DialectConnection, unit: TransformationUnit): Promise<string | null> {
  try {
    return (await sourceKeyOf(conn, unit.transformation, unit.id, { integer: true })).column;
  } catch (error) {
    if (isMfmigError(error) && error.code === 'TRANSFORMATION_INVALID') return null;
    throw error;
  }
}

/**
 * The key range of a source: its largest key, a key below every row and the span between, each
 * from an index lookup on the key rather than a scan. What SQL and row-function batches share.
 */
export abstract class SourceKeyRange implements KeyBatches {
  protected readonly conn: DialectConnection;
  /** The source, quoted. */
  protected readonly source: string;
  /** The key column, quoted. */
  protected readonly key: string;

  protected constructor(
    conn: DialectConnection,
    sourceTable: string,
    readonly column: string,
  ) {
    this.conn = conn;
    this.source = quoteIdentifier(sourceTable);
    this.key = quoteIdentifier(column);
  }

  abstract next(after: string | null, end: string | null, size: number): Promise<KeyBatch | null>;

  async maxKey(): Promise<string | null> {
    const rows = await this.conn.query<{ hi: string | null }>(`SELECT CAST(max(${this.key}) AS TEXT) AS hi FROM ${this.source}`);
    return rows[0]?.hi ?? null;
  }

  async keySpan(end: string): Promise<number> {
    const first = await this.beforeFirst();
    return first === null ? 0 : Math.max(0, Number(BigInt(end) - BigInt(first)));
  }

  /** A key below every row (`min - 1`), or null for an empty source. */
  protected async beforeFirst(): Promise<string | null> {
    const rows = await this.conn.query<{ lo: string | null }>(`SELECT CAST(min(${this.key}) - 1 AS TEXT) AS lo FROM ${this.source}`);
    return rows[0]?.lo ?? null;
  }

  /** The range condition of a batch after `$1`, up to `$2` when `end` is given, and its parameters; keys bind as integers (SQLite compares a text parameter with an integer as text). */
  protected range(start: string, end: string | null): { where: string; params: unknown[] } {
    return {
      where: `${this.key} > $1${end === null ? '' : ` AND ${this.key} <= $2`}`,
      params: end === null ? [BigInt(start)] : [BigInt(start), BigInt(end)],
    };
  }
}
