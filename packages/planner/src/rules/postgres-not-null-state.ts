import type { PgNotNullChange, PgStatement } from '@mfmig/core';

/**
 * Which columns PostgreSQL already knows hold no NULL, so that `SET NOT NULL` on them skips its
 * full scan (PostgreSQL 12+), each with what proves it: `not-null` (the column's own NOT NULL) or
 * `check:<name>` (a validated CHECK (col IS NOT NULL)). A column stays proven while one proof of it
 * remains. Keys are {@link NotNullTracker.key}s.
 *
 * @example
 * const state = new NotNullTracker('public').state; // nothing proven yet
 */
export interface PgNotNullState {
  proven: ReadonlyMap<string, ReadonlySet<string>>;
  /** NOT VALID checks that prove a column once validated: the key of table and constraint, to that of table and column. */
  pending: ReadonlyMap<string, string>;
}

/**
 * Follows the not-null proofs of one schema through a plan's statements (see `PgNotNullChange`).
 *
 * @example
 * const tracker = new NotNullTracker('public', live);
 * tracker.proves('big', 'v'); // true when a validated CHECK (v IS NOT NULL) exists
 * tracker.apply(statement);
 */
export class NotNullTracker {
  readonly #schema: string;
  readonly #proven: Map<string, Set<string>>;
  readonly #pending: Map<string, string>;

  constructor(schema = 'public', from?: PgNotNullState) {
    this.#schema = schema;
    this.#proven = new Map([...(from?.proven ?? [])].map(([key, sources]) => [key, new Set(sources)]));
    this.#pending = new Map(from?.pending ?? []);
  }

  /** The key of a table's column or constraint: the table without the schema's own prefix (another schema's stays). */
  key(table: string, name: string): string {
    return `${this.#table(table)}\u0000${name}`;
  }

  #table(table: string): string {
    return table.startsWith(`${this.#schema}.`) ? table.slice(this.#schema.length + 1) : table;
  }

  /** Records one proof of a column. */
  prove(table: string, column: string, source: string): void {
    this.#addProof(this.key(table, column), source);
  }

  #addProof(column: string, source: string): void {
    this.#proven.set(column, (this.#proven.get(column) ?? new Set()).add(source));
  }

  /** The column a NOT VALID check of the table was to prove, no longer pending. */
  #takePending(table: string, constraint: string): string | undefined {
    const key = this.key(table, constraint);
    const column = this.#pending.get(key);
    this.#pending.delete(key);
    return column;
  }

  /** Records a NOT VALID check that proves `column` once validated. */
  expect(table: string, constraint: string, column: string): void {
    this.#pending.set(this.key(table, constraint), this.key(table, column));
  }

  proves(table: string, column: string): boolean {
    return (this.#proven.get(this.key(table, column))?.size ?? 0) > 0;
  }

  /** What one statement leaves proven: its changes, then the columns it set NOT NULL. */
  apply(statement: PgStatement): void {
    for (const change of statement.notNullChanges) this.#change(change);
    for (const f of statement.facts) if (f.code === 'SET_NOT_NULL_SCAN' && f.table && f.column) this.prove(f.table, f.column, 'not-null');
  }

  #change(c: PgNotNullChange): void {
    if (c.kind === 'check') {
      if (c.validated) this.prove(c.table, c.column, `check:${c.constraint}`);
      else this.expect(c.table, c.constraint, c.column);
    } else if (c.kind === 'validate') {
      const column = this.#takePending(c.table, c.constraint);
      if (column !== undefined) this.#addProof(column, `check:${c.constraint}`);
    } else if (c.kind === 'drop-constraint' || c.kind === 'rename-constraint') {
      const column = this.#takePending(c.table, c.constraint);
      const to = c.kind === 'rename-constraint' ? c.to : undefined;
      if (column !== undefined && to !== undefined) this.#pending.set(this.key(c.table, to), column);
      const prefix = this.key(c.table, '');
      for (const [key, sources] of this.#proven) {
        if (key.startsWith(prefix) && sources.delete(`check:${c.constraint}`) && to !== undefined) sources.add(`check:${to}`);
      }
    } else if (c.kind === 'drop-not-null') {
      this.#proven.get(this.key(c.table, c.column))?.delete('not-null');
    } else if (c.kind === 'forget-column') {
      const key = this.key(c.table, c.column);
      this.#proven.delete(key);
      for (const [constraint, column] of this.#pending) if (column === key) this.#pending.delete(constraint);
    } else {
      const prefix = this.key(c.table, '');
      for (const map of [this.#proven, this.#pending]) for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    }
  }

  /** The proofs as they stand, to hand to the next step. */
  get state(): PgNotNullState {
    return { proven: new Map([...this.#proven].map(([key, sources]) => [key, new Set(sources)])), pending: new Map(this.#pending) };
  }
}
