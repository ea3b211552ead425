import type { DialectConnection } from '@mfmig/core';
import { isMfmigError, quoteIdentifier } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { type BatchBoundStatement, bindBatchPlaceholders } from './batch-placeholders.js';
import { copyStatementOn } from './copy-statement.js';
import { sourceKeyOf } from './source-key.js';
import { boundToRange, executeBound } from './sql-unit.js';

/** What one keyset batch did. */
export interface KeyBatch {
  /** Source key (as text) of the batch's last row. */
  lastKey: string;
  rowsRead: number;
  rowsWritten: number;
}

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
export class SqlKeyBatches {
  readonly #conn: DialectConnection;
  readonly #unitId: string;
  readonly #source: string;
  readonly #key: string;
  readonly #statements: BatchBoundStatement[];
  /** The source column the batches page by. */
  readonly column: string;

  private constructor(conn: DialectConnection, unit: TransformationUnit, key: string, statements: BatchBoundStatement[]) {
    this.column = key;
    this.#conn = conn;
    this.#unitId = unit.id;
    this.#source = quoteIdentifier(unit.transformation.sourceTable);
    this.#key = quoteIdentifier(key);
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
    let key: string;
    try {
      key = (await sourceKeyOf(conn, t, unit.id, { integer: true })).column;
    } catch (error) {
      if (isMfmigError(error) && error.code === 'TRANSFORMATION_INVALID') return null;
      throw error;
    }
    const statements = (await conn.splitStatements(t.sql ?? (await copyStatementOn(conn, t, unit.id)))).map(bindBatchPlaceholders);
    const bound = boundToRange(statements, t.sourceTable, key);
    return statements.length === 0 || bound === null ? null : new SqlKeyBatches(conn, unit, key, bound);
  }

  /** The largest source key now (as text), or null for an empty source. */
  async maxKey(): Promise<string | null> {
    const rows = await this.#conn.query<{ hi: string | null }>(`SELECT CAST(max(${this.#key}) AS TEXT) AS hi FROM ${this.#source}`);
    return rows[0]?.hi ?? null;
  }

  /**
   * The keys from the first row's up to `end` (as text): the row count when the keys are dense, an
   * upper bound otherwise, from two index lookups rather than a scan.
   */
  async keySpan(end: string): Promise<number> {
    const first = await this.#beforeFirst();
    return first === null ? 0 : Math.max(0, Number(BigInt(end) - BigInt(first)));
  }

  /**
   * Runs the next batch: at most `size` source rows after `after` (null: from the first), up to
   * `end` (null: no bound). Null when no row is left.
   */
  async next(after: string | null, end: string | null, size: number): Promise<KeyBatch | null> {
    const start = after ?? (await this.#beforeFirst());
    if (start === null) return null;
    // keys bind as integers: SQLite compares a text parameter with an integer as text
    const params: unknown[] = [BigInt(start)];
    if (end !== null) params.push(BigInt(end));
    const rows = await this.#conn.query<{ n: string; hi: string | null }>(
      `SELECT CAST(count(*) AS TEXT) AS n, CAST(max(k) AS TEXT) AS hi FROM (SELECT ${this.#key} AS k FROM ${this.#source}
       WHERE ${this.#key} > $1${end === null ? '' : ` AND ${this.#key} <= $2`} ORDER BY ${this.#key} LIMIT ${Math.max(1, Math.floor(size))}) AS page`,
      params,
    );
    const hi = rows[0]?.hi ?? null;
    if (hi === null) return null;
    let written = 0;
    for (const s of this.#statements) written += await executeBound(this.#conn, s, { start: BigInt(start), end: BigInt(hi) }, this.#unitId);
    return { lastKey: hi, rowsRead: Number(rows[0]!.n), rowsWritten: written };
  }

  /** A key below every row (`min - 1`), or null for an empty source. */
  async #beforeFirst(): Promise<string | null> {
    const rows = await this.#conn.query<{ lo: string | null }>(`SELECT CAST(min(${this.#key}) - 1 AS TEXT) AS lo FROM ${this.#source}`);
    return rows[0]?.lo ?? null;
  }
}
