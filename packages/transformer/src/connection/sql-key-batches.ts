import type { DialectConnection } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { type BatchBoundStatement, bindBatchPlaceholders } from './batch-placeholders.js';
import { copyStatementOn } from './copy-statement.js';
import { boundToRange, executeBound } from './sql-unit.js';
import { type KeyBatch, SourceKeyRange, integerKeyOf } from './source-key-range.js';

/**
 * A SQL unit cut into keyset batches over its source's integer key, every statement bound to
 * the batch's range `(after, end]` (`@batchStart` / `@batchEnd`, or each top-level
 * `FROM <source>` restricted to it). Batches do not begin or commit a transaction: the caller
 * puts each one, with its cursor, in a transaction of its own.
 *
 * @example
 * const plan = await SqlKeyBatches.of(conn, unit);
 * const batch = await plan?.next(null, '5000', 500); // { lastKey: '500', rowsRead: 500, rowsWritten: 500 }
 */
export class SqlKeyBatches extends SourceKeyRange {
  readonly #unitId: string;
  readonly #statements: BatchBoundStatement[];

  private constructor(conn: DialectConnection, unit: TransformationUnit, key: string, statements: BatchBoundStatement[]) {
    super(conn, unit.transformation.sourceTable, key);
    this.#unitId = unit.id;
    this.#statements = statements;
  }

  /**
   * The batches of a unit, or null when it cannot run in key ranges: a row function, `batch:
   * 'never'`, a source without an integer key, or a statement that neither uses the
   * placeholders nor reads `FROM <source>`.
   */
  static async of(conn: DialectConnection, unit: TransformationUnit): Promise<SqlKeyBatches | null> {
    const t = unit.transformation;
    if (t.transform || t.batch === 'never') return null;
    const key = await integerKeyOf(conn, unit);
    if (key === null) return null;
    const statements = (await conn.splitStatements(t.sql ?? (await copyStatementOn(conn, t, unit.id)))).map(bindBatchPlaceholders);
    const bound = boundToRange(statements, t.sourceTable, key);
    return statements.length === 0 || bound === null ? null : new SqlKeyBatches(conn, unit, key, bound);
  }

  /**
   * Runs the next batch: at most `size` source rows after `after` (null: from the first), up to
   * `end` (null: no bound). Null when no row is left.
   */
  async next(after: string | null, end: string | null, size: number): Promise<KeyBatch | null> {
    const start = after ?? (await this.beforeFirst());
    if (start === null) return null;
    const { where, params } = this.range(start, end);
    const rows = await this.conn.query<{ n: string; hi: string | null }>(
      `SELECT CAST(count(*) AS TEXT) AS n, CAST(max(k) AS TEXT) AS hi FROM (SELECT ${this.key} AS k FROM ${this.source}
       WHERE ${where} ORDER BY ${this.key} LIMIT ${Math.max(1, Math.floor(size))}) AS page`,
      params,
    );
    const hi = rows[0]?.hi ?? null;
    if (hi === null) return null;
    let written = 0;
    for (const s of this.#statements) written += await executeBound(this.conn, s, { start: BigInt(start), end: BigInt(hi) }, this.#unitId);
    return { lastKey: hi, rowsRead: Number(rows[0]!.n), rowsWritten: written };
  }
}
