import type { PreparedStatement } from './database-adapter.js';
import { exactInteger } from './exact-integer.js';

/**
 * A statement's rows with every integer exact. better-sqlite3 gives an integer as a JS number,
 * which rounds one beyond 2^53 without a word (2^53 + 1 reads as 2^53): a row function handed
 * such a row writes a value the source never held. So the rows are read as numbers, and when one
 * holds an integer a number may have rounded, a read-only statement is read again with
 * `safeIntegers()` (in the caller's transaction, so the same rows), and such integers come back as
 * bigints while the others stay numbers, as {@link exactInteger} gives them. A statement that
 * writes is never run twice: it runs with `safeIntegers()` from the start. The statement's
 * integer mode is left as it was found (off).
 *
 * @example
 * const rows = allExact(adapter.prepare('SELECT * FROM events WHERE id > ? LIMIT 100'), [after]);
 * typeof rows[0].owner_id; // 'bigint' for 9007199254740993, 'number' for 42
 */
export function allExact<T = Record<string, unknown>>(statement: PreparedStatement, params: readonly unknown[] = []): T[] {
  if (statement.readonly) {
    const rows = statement.all(...params) as T[];
    if (!rows.some(mayHaveRounded)) return rows;
  }
  try {
    return (statement.safeIntegers(true).all(...params) as Record<string, unknown>[]).map(exactRow) as T[];
  } finally {
    statement.safeIntegers(false);
  }
}

/** An integer-valued number at or beyond 2^53 may be a rounded integer (or a real that large: read again, it stays a number). */
function mayHaveRounded(row: unknown): boolean {
  if (row === null || typeof row !== 'object') return false;
  for (const value of Object.values(row)) if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return true;
  return false;
}

function exactRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(row)) if (typeof row[key] === 'bigint') row[key] = exactInteger(row[key]);
  return row;
}
