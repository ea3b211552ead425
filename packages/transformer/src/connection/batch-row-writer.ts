import type { DialectConnection } from '@mfmig/core';
import { MfmigError, abbreviateSql, quoteIdentifier } from '@mfmig/core';
import type { Row } from '../declaration/data-transformation.js';
import type { WriteMode } from '../declaration/transformation-types.js';
import { transformationError } from '../run/statement-runner.js';
import { unbindableValue } from '../run/unbindable-value.js';

/** The most parameters one statement may bind: PostgreSQL's protocol limit, SQLite's `SQLITE_MAX_VARIABLE_NUMBER`. */
const MAX_PARAMS = { postgres: 65_535, sqlite: 32_766 } as const;

/**
 * Rows per statement on SQLite: past a few dozen rows a longer statement saves nothing (64 rows
 * measured 1.8x faster than one statement per row, 256 no faster than 64), and every other length
 * is a statement compiled afresh, which the connection's statement cache would keep as well.
 */
const SQLITE_ROWS_PER_STATEMENT = 64;

/**
 * Writes a row function's rows into the target with multi-row parameterised statements (under
 * the dialect's parameter limit each): plain INSERT, upsert (`ON CONFLICT (key) DO UPDATE`, or
 * `DO NOTHING` when a row holds only its key), or `UPDATE ... FROM` a `VALUES` list by key. The
 * statements are the same on PostgreSQL and SQLite, but for PostgreSQL's casts of the values. Consecutive rows
 * with the same columns share a statement; within one, a key given twice keeps its last row
 * (as SQLite's row-by-row writes would leave it). On SQLite a statement holds at most
 * {@link SQLITE_ROWS_PER_STATEMENT} rows, and the rows left over after the full statements go one
 * by one, so that a batch compiles at most two statements per set of columns, each kept by the
 * connection's statement cache.
 *
 * @example
 * const writer = new BatchRowWriter(conn, 'incidents', 'upsert', ['ticket_id'], new Map(), 'kb_split');
 * await writer.write([{ ticket_id: 'KB-1', title: 't' }]); // 1
 */
export class BatchRowWriter {
  readonly #conn: DialectConnection;
  readonly #table: string;
  readonly #mode: WriteMode;
  readonly #key: string[];
  readonly #types: ReadonlyMap<string, string>;
  readonly #unitId: string;
  /** Statement texts by row count and columns (a row at a time on SQLite would otherwise build its text per row). */
  readonly #texts = new Map<string, string>();

  /** `types`: the target's column types, which an update casts its values to. */
  constructor(conn: DialectConnection, table: string, mode: WriteMode, key: string[], types: ReadonlyMap<string, string>, unitId: string) {
    if (mode !== 'insert' && key.length === 0) {
      throw new MfmigError('TRANSFORMATION_INVALID', `Writing to ${table} by ${mode} needs key columns; the table has no primary key, declare \`key\``, {
        context: { transformation: unitId },
      });
    }
    this.#conn = conn;
    this.#table = table;
    this.#mode = mode;
    this.#key = key;
    this.#types = types;
    this.#unitId = unitId;
  }

  /** Writes rows in order; returns the rows changed. */
  async write(rows: readonly Row[]): Promise<number> {
    let changed = 0;
    let group: Row[] = [];
    let signature = '';
    for (const row of rows) {
      const s = Object.keys(row).join('\u0000');
      if (s !== signature && group.length > 0) {
        changed += await this.#writeGroup(group);
        group = [];
      }
      signature = s;
      group.push(row);
    }
    if (group.length > 0) changed += await this.#writeGroup(group);
    return changed;
  }

  /** Rows with the same columns, in statements of at most {@link MAX_PARAMS} parameters. */
  async #writeGroup(rows: Row[]): Promise<number> {
    const columns = Object.keys(rows[0]!);
    if (columns.length === 0) return 0;
    const sqlite = this.#conn.dialect === 'sqlite';
    const fit = Math.max(1, Math.floor(MAX_PARAMS[this.#conn.dialect] / columns.length));
    const perStatement = sqlite ? Math.min(SQLITE_ROWS_PER_STATEMENT, fit) : fit;
    let changed = 0;
    for (let i = 0; i < rows.length;) {
      // SQLite: the rows short of a full statement go one by one (one statement text, compiled once)
      const take = !sqlite || rows.length - i >= perStatement ? Math.min(perStatement, rows.length - i) : 1;
      const chunk = this.#lastPerKey(rows.slice(i, i + take), columns);
      i += take;
      const params: unknown[] = [];
      for (const row of chunk) {
        for (const c of columns) {
          const value = row[c];
          // better-sqlite3 would spread an array into several parameters and read an object as named ones
          if (sqlite && !storable(value)) throw transformationError(unbindableValue(row, this.#table)!, this.#unitId);
          params.push(bindable(value, sqlite));
        }
      }
      const sql = this.#text(columns, chunk.length);
      try {
        changed += await this.#conn.execute(sql, params);
      } catch (error) {
        const unbindable = error instanceof TypeError && sqlite ? chunk.map((row) => unbindableValue(row, this.#table)).find((e) => e !== null) : undefined;
        throw transformationError(unbindable ?? error, this.#unitId, abbreviateSql(sql, 200));
      }
    }
    return changed;
  }

  /**
   * For an update (and a PostgreSQL upsert, which refuses to change a row twice in one statement),
   * one row per key, the last, in the order keys were last given. A SQLite upsert applies its rows
   * in order, as row-by-row writes would; a row whose key has a null part matches no other row
   * (a null never equals one), so it is always kept.
   */
  #lastPerKey(rows: Row[], columns: string[]): Row[] {
    if (this.#mode === 'insert' || !this.#key.every((k) => columns.includes(k))) return rows;
    if (this.#mode === 'upsert' && this.#conn.dialect === 'sqlite') return rows;
    const byKey = new Map<string, Row>();
    rows.forEach((row, i) => {
      const parts = this.#key.map((k) => bindable(row[k]));
      const id = parts.some((v) => v === null) ? `\u0000${i}` : JSON.stringify(parts.map(String));
      byKey.delete(id);
      byKey.set(id, row);
    });
    return byKey.size === rows.length ? rows : [...byKey.values()];
  }

  #text(columns: string[], count: number): string {
    const id = `${count}\u0000${columns.join('\u0000')}`;
    let sql = this.#texts.get(id);
    if (sql === undefined) {
      if (this.#texts.size >= 64) this.#texts.clear();
      this.#texts.set(id, (sql = this.#sql(columns, count)));
    }
    return sql;
  }

  #sql(columns: string[], count: number): string {
    const t = quoteIdentifier(this.#table);
    const rest = columns.filter((c) => !this.#key.includes(c));
    // a VALUES list types its columns as text on PostgreSQL: an update casts them to the target's types (SQLite's columns take any value)
    const typed = this.#mode === 'update' && this.#conn.dialect === 'postgres';
    const types = typed ? columns.map((c) => this.#typeOf(c)) : [];
    // SQLite binds plain `?` positionally; `$n` would have the parameters bound by name
    const plain = this.#conn.dialect === 'sqlite' ? () => '?' : (n: number) => `$${n}`;
    const param = (n: number, i: number) => (typed ? `CAST($${n} AS ${types[i]})` : plain(n));
    const tuples: string[] = [];
    for (let r = 0; r < count; r++) tuples.push(`(${columns.map((_, i) => param(r * columns.length + i + 1, i)).join(', ')})`);
    const values = `VALUES ${tuples.join(', ')}`;
    if (this.#mode === 'update') {
      const missing = this.#key.filter((k) => !columns.includes(k));
      if (missing.length > 0 || rest.length === 0) {
        throw new MfmigError(
          'TRANSFORMATION_FAILED',
          `An update of ${this.#table} needs the key (${this.#key.join(', ')}) and at least one other column in each row`,
          { context: { transformation: this.#unitId } },
        );
      }
      const set = rest.map((c) => `${quoteIdentifier(c)} = mfmig_v.${quoteIdentifier(c)}`).join(', ');
      const match = this.#key.map((k) => `mfmig_t.${quoteIdentifier(k)} = mfmig_v.${quoteIdentifier(k)}`).join(' AND ');
      return `WITH mfmig_v (${columns.map(quoteIdentifier).join(', ')}) AS (${values}) UPDATE ${t} AS mfmig_t SET ${set} FROM mfmig_v WHERE ${match}`;
    }
    const insert = `INSERT INTO ${t} (${columns.map(quoteIdentifier).join(', ')}) ${values}`;
    if (this.#mode === 'insert') return insert;
    const conflict = `ON CONFLICT (${this.#key.map(quoteIdentifier).join(', ')})`;
    return rest.length === 0
      ? `${insert} ${conflict} DO NOTHING`
      : `${insert} ${conflict} DO UPDATE SET ${rest.map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`).join(', ')}`;
  }

  #typeOf(column: string): string {
    const type = this.#types.get(column);
    if (type === undefined) {
      throw new MfmigError('TRANSFORMATION_FAILED', `Transformation ${this.#unitId} writes column ${column}, which ${this.#table} does not have`, {
        context: { transformation: this.#unitId, table: this.#table },
      });
    }
    return type;
  }
}

/** A value SQLite stores as it is: null, a number, text, a bigint, a boolean (as 1 or 0) or a Buffer. */
function storable(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const type = typeof value;
  return type === 'number' || type === 'string' || type === 'bigint' || type === 'boolean' || Buffer.isBuffer(value);
}

/**
 * A value the driver can bind: undefined as null; a bigint as text for PostgreSQL's driver, as
 * itself for SQLite's (an integer, exact; as text it would stay text in a column without a type).
 */
function bindable(value: unknown, sqlite = false): unknown {
  if (typeof value === 'bigint') return sqlite ? value : value.toString();
  return value === undefined ? null : value;
}
