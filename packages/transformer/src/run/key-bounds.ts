import { type DatabaseAdapter, exactInteger, quoteIdentifier } from '@mfmig/core';

/**
 * Key arithmetic for keyset batches over one source table and key column.
 *
 * @example
 * const bounds = new KeyBounds(db, 'kb_entries', 'id');
 * const next = bounds.next(bounds.before(), bounds.max(), 10_000);
 */
export class KeyBounds {
  readonly #db: DatabaseAdapter;
  readonly #table: string;
  readonly #key: string;

  constructor(db: DatabaseAdapter, table: string, key: string) {
    this.#db = db;
    this.#table = quoteIdentifier(table);
    this.#key = quoteIdentifier(key);
  }

  /** Largest key now (the end of the work, fixed when it starts), or null for an empty table. */
  max(): unknown {
    return exactInteger(this.#db.prepare(`SELECT max(${this.#key}) FROM ${this.#table}`).pluck().safeIntegers().get() ?? null);
  }

  /** A value below every key: `min - 1` for numbers, `''` for text. Null for an empty table. */
  before(): unknown {
    const min = this.#db.prepare(`SELECT min(${this.#key}) FROM ${this.#table}`).pluck().safeIntegers().get();
    if (min === null || min === undefined) return null;
    if (typeof min === 'number') return min - 1;
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
  beyond(end: unknown): { key: unknown; span: number } | null {
    const max = this.max();
    if (max === null) return null;
    const rows = this.count(end, max);
    return rows === 0 ? null : { key: max, span: KeyBounds.span(end, max) ?? rows };
  }

  /** Rows with `start < key <= end`. */
  count(start: unknown, end: unknown): number {
    return Number(this.#db.prepare(`SELECT count(*) FROM ${this.#table} WHERE ${this.#key} > ? AND ${this.#key} <= ?`).pluck().get(start, end));
  }

  /**
   * The end key of the next batch of `size` rows after `start` (never past `end`), with the
   * rows it holds; null when no row is left.
   */
  next(start: unknown, end: unknown, size: number): { end: unknown; rows: number } | null {
    const at = this.#db
      .prepare(`SELECT ${this.#key} FROM ${this.#table} WHERE ${this.#key} > ? AND ${this.#key} <= ? ORDER BY ${this.#key} LIMIT 1 OFFSET ?`)
      .pluck()
      .safeIntegers()
      .get(start, end, size - 1);
    if (at !== undefined) return { end: exactInteger(at), rows: size };
    const rows = this.count(start, end);
    return rows === 0 ? null : { end, rows };
  }
}
