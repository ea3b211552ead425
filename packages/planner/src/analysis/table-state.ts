import type { SqliteConnection } from '@mfmig/core';

/**
 * Row counts of every table as a plan goes step by step: live counts first, then what each
 * operation does to them. Rehearsal results, when there are any, replace the guesses after
 * each step (`settle`) and give the fan-out of transformations.
 *
 * @example
 * const state = new TableState(liveCounts, conn);
 * state.add('incidents', 1000);
 */
export class TableState {
  /** The live database, read for what a step's operations need (NULLs a rebuild would refuse). */
  readonly live: SqliteConnection | undefined;
  readonly #rows = new Map<string, number>();
  readonly #indexes = new Map<string, string>();
  readonly #after: Map<number, Map<string, number>>;
  readonly #fanouts: Map<string, number>;

  constructor(
    live: { rows: Record<string, number>; indexes: Record<string, string> },
    db: SqliteConnection | undefined,
    options: { countsAfterStep?: Map<number, Map<string, number>>; fanouts?: Map<string, number> } = {},
  ) {
    this.live = db;
    for (const [t, n] of Object.entries(live.rows)) this.#rows.set(t.toLowerCase(), n);
    for (const [i, t] of Object.entries(live.indexes)) this.#indexes.set(i.toLowerCase(), t);
    this.#after = options.countsAfterStep ?? new Map();
    this.#fanouts = options.fanouts ?? new Map();
  }

  rows(table: string): number {
    return this.#rows.get(table.toLowerCase()) ?? 0;
  }

  set(table: string, rows: number): void {
    this.#rows.set(table.toLowerCase(), Math.max(0, Math.round(rows)));
  }

  add(table: string, rows: number): void {
    this.set(table, this.rows(table) + rows);
  }

  drop(table: string): void {
    this.#rows.delete(table.toLowerCase());
  }

  rename(from: string, to: string): void {
    const rows = this.rows(from);
    this.drop(from);
    this.set(to, rows);
  }

  indexCreated(index: string, table: string): void {
    this.#indexes.set(index.toLowerCase(), table);
  }

  indexTable(index: string): string | undefined {
    return this.#indexes.get(index.toLowerCase());
  }

  /** Rows a transformation writes per source row (1 unless measured). */
  fanout(version: number, transformationId: string): number {
    return this.#fanouts.get(`${version}:${transformationId}`) ?? 1;
  }

  /** The measured rows of `table` after step `version`, when a rehearsal measured them. */
  after(version: number, table: string): number | undefined {
    return this.#after.get(version)?.get(table.toLowerCase());
  }

  /** After a step: takes the measured counts of that step, where known. */
  settle(version: number): void {
    for (const [table, rows] of this.#after.get(version) ?? []) this.set(table, rows);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#rows);
  }
}
