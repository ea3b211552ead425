import { type SqliteConnection, quoteIdentifier } from '@mfmig/core';
import type { DeclaredTransformation } from '../analysis/declared-transformations.js';

/** What calling a declared row function on live rows showed. */
export interface RowFunctionProbe {
  /** Seconds of JavaScript per source row (reading and writing not included). */
  secondsPerRow: number;
  /** Rows returned per source row (a split returns several, a filter fewer). */
  fanout: number;
  rowsTried: number;
}

/**
 * Calls a transformation's row function on up to `limit` rows of its source table, read from
 * the live database (nothing is written), to learn its cost per row and how many rows it returns
 * per source row. Undefined when the source is not there yet or the function throws.
 *
 * @example
 * (await probeRowFunction(conn, declared[0]!))?.fanout; // 2.3 code references per KB entry
 */
export async function probeRowFunction(live: SqliteConnection, t: DeclaredTransformation, limit = 400): Promise<RowFunctionProbe | undefined> {
  if (!t.transform) return undefined;
  const exists = (await live.introspector.catalog({ type: 'table', name: t.sourceTable })).length > 0;
  if (!exists) return undefined;
  const rows = await live.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdentifier(t.sourceTable)} LIMIT ?`, [limit]);
  if (rows.length === 0) return undefined;
  try {
    for (const row of rows.slice(0, 20)) t.transform(row);
    let outputs = 0;
    const start = performance.now();
    for (const row of rows) {
      const out = t.transform(row);
      outputs += Array.isArray(out) ? out.length : out === null || out === undefined ? 0 : 1;
    }
    const seconds = (performance.now() - start) / 1000;
    return { secondsPerRow: seconds / rows.length, fanout: outputs / rows.length, rowsTried: rows.length };
  } catch {
    return undefined;
  }
}
