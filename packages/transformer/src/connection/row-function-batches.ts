import type { DialectConnection } from '@mfmig/core';
import type { Row } from '../declaration/data-transformation.js';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import type { BatchRowWriter } from './batch-row-writer.js';
import { pageKey } from './page-key.js';
import { rowColumns, rowWriterOf, transformPage } from './row-function-unit.js';
import { type KeyBatch, SourceKeyRange, integerKeyOf } from './source-key-range.js';

/**
 * A row-function unit cut into keyset batches over its source's integer key: each batch reads the
 * next page of source rows after a key, calls the function on each, and writes what it returns
 * as the unit's write mode says, as {@link runRowFunctionUnit} does for the whole source. Batches
 * do not begin or commit a transaction: the caller puts each one, with its cursor, in a
 * transaction of its own, so that a continued move runs a row function as it runs SQL.
 *
 * @example
 * const plan = await RowFunctionBatches.of(conn, unit);
 * const batch = await plan?.next(null, '5000', 500); // { lastKey: '500', rowsRead: 500, rowsWritten: 500 }
 */
export class RowFunctionBatches extends SourceKeyRange {
  readonly #unit: TransformationUnit;
  readonly #writer: BatchRowWriter;

  private constructor(conn: DialectConnection, unit: TransformationUnit, key: string, writer: BatchRowWriter) {
    super(conn, unit.transformation.sourceTable, key);
    this.#unit = unit;
    this.#writer = writer;
  }

  /** The batches of a row-function unit, or null when it cannot run in key ranges: SQL, `batch: 'never'`, or a source without an integer key. */
  static async of(conn: DialectConnection, unit: TransformationUnit): Promise<RowFunctionBatches | null> {
    const t = unit.transformation;
    if (!t.transform || t.batch === 'never') return null;
    const key = await integerKeyOf(conn, unit);
    return key === null ? null : new RowFunctionBatches(conn, unit, key, await rowWriterOf(conn, unit));
  }

  async next(after: string | null, end: string | null, size: number): Promise<KeyBatch | null> {
    const start = after ?? (await this.beforeFirst());
    if (start === null) return null;
    const { where, params } = this.range(start, end);
    const rowKey = pageKey(this.conn, this.key);
    const page = await this.conn.query<Row>(
      `SELECT ${rowColumns(this.#unit, this.column)}, ${rowKey.columns} FROM ${this.source} WHERE ${where} ORDER BY ${this.key} LIMIT ${Math.max(1, Math.floor(size))}`,
      params,
    );
    if (page.length === 0) return null;
    let last: unknown;
    for (const row of page) last = rowKey.take(row);
    return { lastKey: String(last), rowsRead: page.length, rowsWritten: await transformPage(this.#unit, page, this.#writer) };
  }
}
