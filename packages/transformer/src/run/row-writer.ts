import { MfmigError, quoteIdentifier, sqliteBindable, type PreparedStatement, type DatabaseAdapter } from '@mfmig/core';
import type { WriteMode } from '../declaration/transformation-types.js';
import type { Row } from '../declaration/data-transformation.js';
import { unbindableValue } from './unbindable-value.js';

/**
 * Writes rows returned by a row function into the target: insert, upsert on `key`, or update
 * by `key`. Statements are prepared once per set of columns.
 *
 * @example
 * const writer = new RowWriter(db, 'incidents', 'insert', []);
 * writer.write({ ticket_id: 'KB-1', timestamp: '2024-01-01', title: 't' }); // 1
 */
export class RowWriter {
  readonly #db: DatabaseAdapter;
  readonly #table: string;
  readonly #mode: WriteMode;
  readonly #key: string[];
  readonly #statements = new Map<string, { statement: PreparedStatement; columns: string[] }>();
  #lastSignature = '';
  #last: { statement: PreparedStatement; columns: string[] } | undefined;

  constructor(db: DatabaseAdapter, table: string, mode: WriteMode, key: string[]) {
    if (mode !== 'insert' && key.length === 0) {
      throw new MfmigError('TRANSFORMATION_INVALID', `Writing to ${table} by ${mode} needs key columns; the table has no primary key, declare \`key\``);
    }
    this.#db = db;
    this.#table = table;
    this.#mode = mode;
    this.#key = key;
  }

  /** Writes one row; returns the rows changed. */
  write(row: Row): number {
    const columns = Object.keys(row);
    const signature = columns.join('\u0000');
    let entry = signature === this.#lastSignature ? this.#last : this.#statements.get(signature);
    if (!entry) {
      entry = { statement: this.#db.prepare(this.#sql(columns)), columns: this.#order(columns) };
      this.#statements.set(signature, entry);
    }
    this.#lastSignature = signature;
    this.#last = entry;
    const values = new Array(entry.columns.length);
    for (let i = 0; i < entry.columns.length; i++) values[i] = sqliteBindable(row[entry.columns[i]!]);
    try {
      return entry.statement.run(values).changes;
    } catch (error) {
      throw (error instanceof TypeError && unbindableValue(row, this.#table)) || error;
    }
  }

  /** Column order of the bound values: for update, SET columns first, then key columns. */
  #order(columns: string[]): string[] {
    if (this.#mode !== 'update') return columns;
    return [...columns.filter((c) => !this.#key.includes(c)), ...this.#key];
  }

  #sql(columns: string[]): string {
    const t = quoteIdentifier(this.#table);
    const q = columns.map(quoteIdentifier);
    const rest = columns.filter((c) => !this.#key.includes(c));
    if (this.#mode === 'update') {
      const missing = this.#key.filter((k) => !columns.includes(k));
      if (missing.length > 0 || rest.length === 0) {
        throw new MfmigError(
          'TRANSFORMATION_FAILED',
          `An update of ${this.#table} needs the key (${this.#key.join(', ')}) and at least one other column in each row`,
        );
      }
      return `UPDATE ${t} SET ${rest.map((c) => `${quoteIdentifier(c)} = ?`).join(', ')} WHERE ${this.#key.map((k) => `${quoteIdentifier(k)} = ?`).join(' AND ')}`;
    }
    const insert = `INSERT INTO ${t} (${q.join(', ')}) VALUES (${q.map(() => '?').join(', ')})`;
    if (this.#mode === 'insert') return insert;
    const conflict = `ON CONFLICT (${this.#key.map(quoteIdentifier).join(', ')})`;
    return rest.length === 0
      ? `${insert} ${conflict} DO NOTHING`
      : `${insert} ${conflict} DO UPDATE SET ${rest.map((c) => `${quoteIdentifier(c)} = excluded.${quoteIdentifier(c)}`).join(', ')}`;
  }
}
