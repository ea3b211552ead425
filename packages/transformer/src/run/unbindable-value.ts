/**
 * The clear form of better-sqlite3's "SQLite3 can only bind numbers, strings, bigints, buffers, and
 * null" for a row a row function returned: which column got which kind of value. Null when every
 * value binds (the error was something else).
 *
 * @example
 * unbindableValue({ id: 1, at: new Date() })?.message; // 'column at got a Date, which SQLite cannot store: ...'
 */
export function unbindableValue(row: Record<string, unknown>, table: string): Error | null {
  for (const [column, value] of Object.entries(row)) {
    if (value === null || value === undefined || Buffer.isBuffer(value)) continue;
    if (['number', 'string', 'bigint', 'boolean'].includes(typeof value)) continue;
    const kind = value instanceof Date ? 'a Date' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    const hint =
      value instanceof Date ? ' (a date as its text: date.toISOString())' : typeof value === 'object' ? ' (an object as JSON: JSON.stringify(value))' : '';
    return new Error(`column ${column} of ${table} got ${kind}, which SQLite cannot store: return text${hint}, a number, a bigint, a Buffer or null`);
  }
  return null;
}
