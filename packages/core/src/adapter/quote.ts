/**
 * Quotes a SQLite identifier so that any name, even one holding quotes or SQL, stays a name.
 *
 * @example
 * quoteIdentifier('x"; DROP TABLE kb_entries; --'); // "x""; DROP TABLE kb_entries; --"
 */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new TypeError('An SQL identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for SQLite. Prefer bound parameters; this is for DDL only. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
