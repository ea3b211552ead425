import { type SqliteConnection, exactInteger, quoteIdentifier } from '@mfmig/core';

/**
 * Key arithmetic for keyset batches over one source table and key column. Keys beyond 2^53 come
 * back exact, as bigints.
 *
 * @example
 * const bounds = new KeyBounds(conn, 'kb_entries', 'id');
 * const next = await bounds.next(await bounds.before(), await bounds.max(), 10_000);
 */
export class KeyBounds {
  readonly #conn: SqliteConnection;
  readonly #table: string;
  readonly #key: string;

  constructor(conn: SqliteConnection, table: string, key: string) {
    this.#conn = conn;
    this.#table = quoteIdentifier(table);
    this.#key = quoteIdentifier(key);
  }

  /** Largest key now (the end of the work, fixed when it starts), or null for an empty table. */
  async max(): Promise<unknown> {
    return exactInteger((await this.#value(`SELECT max(${this.#key}) AS v FROM ${this.#table}`)) ?? null);
  }

  /** A value below every key: `min - 1` for numbers, `''` for text. Null for an empty table. */
  async before(): Promise<unknown> {
    const min = await this.#value(`SELECT min(${this.#key}) AS v FROM ${this.#table}`);
    if (min === null || min === undefined) return null;
    if (typeof min === 'number') return Number.isInteger(min) && !Number.isSafeInteger(min - 1) ? exactInteger(BigInt(min) - 1n) : min - 1;
    if (typeof min === 'bigint') return exactInteger(min - 1n);
    if (typeof min === 'string') return '';
    return Buffer.alloc(0);
  }

  /**
   * The keys from just past `start` up to `end`, for numeric keys (`end - start`): the progress
   * total of a batched run, known from two index lookups where a row count would scan the whole
   * source (and, with a rollback journal, stop the application's commits while it does). Null
   * for other keys, or when either bound is missing.
   */
  static span(start: unknown, end: unknown): number | null {
    if (typeof start === 'number' && typeof end === 'number') return Math.max(0, end - start);
    if (typeof start === 'bigint' && typeof end === 'bigint') return Math.max(0, Number(end - start));
    return null;
  }

  /**
   * The largest key now, when rows were written above `end` since it was read, with the keys up to
   * it (for numeric keys, else the rows); null when there are none.
   */
  async beyond(end: unknown): Promise<{ key: unknown; span: number } | null> {
    const max = await this.max();
    if (max === null) return null;
    const rows = await this.count(end, max);
    return rows === 0 ? null : { key: max, span: KeyBounds.span(end, max) ?? rows };
  }

  /** Rows with `start < key <= end`. */
  async count(start: unknown, end: unknown): Promise<number> {
    return Number(await this.#value(`SELECT count(*) AS v FROM ${this.#table} WHERE ${this.#key} > ? AND ${this.#key} <= ?`, [start, end]));
  }

  /**
   * The end key of the next batch of `size` rows after `start` (never past `end`), with the
   * rows it holds; null when no row is left.
   */
  async next(start: unknown, end: unknown, size: number): Promise<{ end: unknown; rows: number } | null> {
    const at = await this.#conn.query<{ k: unknown }>(
      `SELECT ${this.#key} AS k FROM ${this.#table} WHERE ${this.#key} > ? AND ${this.#key} <= ? ORDER BY ${this.#key} LIMIT 1 OFFSET ?`,
      [start, end, size - 1],
    );
    if (at.length > 0) return { end: exactInteger(at[0]!.k), rows: size };
    const rows = await this.count(start, end);
    return rows === 0 ? null : { end, rows };
  }

  async #value(sql: string, params: readonly unknown[] = []): Promise<unknown> {
    return (await this.#conn.query<{ v: unknown }>(sql, params))[0]?.v;
  }
}
