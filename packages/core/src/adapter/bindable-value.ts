/**
 * A JS value as SQLite should be given it, so that it stores what the value is. better-sqlite3
 * binds every number as a real: a row function's `42` would read back as `'42.0'` from a TEXT
 * column, and as a real from a column without a type. So an integer-valued number (exact, below
 * 2^53) binds as an integer, a boolean as 1 or 0 (which the driver refuses otherwise), and the rest
 * (reals, text, bigints, buffers, null) as it is.
 *
 * @example
 * sqliteBindable(42); // 42n, stored as the integer 42
 * sqliteBindable(1.5); // 1.5
 * sqliteBindable(true); // 1n
 */
export function sqliteBindable(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return value;
}
