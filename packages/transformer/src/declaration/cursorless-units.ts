/**
 * The units of a continued migration that ran in the migration's own transaction and left no
 * cursor: those before the first unit that has one. `DialectMigrator`'s transformer saves cursors
 * only from the first unit it continues; SQLite's plugin saves one for every unit, the ones that
 * ran in the migration's transaction as `done`. Either runner finishes what the other started, so
 * both read the first form: a unit without a cursor before that point is done, and running it
 * again would write its rows twice. Empty when no unit has a cursor.
 *
 * @example
 * ranWithoutCursor(['a', 'b', 'c'].map((id) => ({ id })), (id) => id !== 'a'); // Set { 'a' }
 */
export function ranWithoutCursor(units: readonly { id: string }[], hasCursor: (id: string) => boolean): Set<string> {
  const first = units.findIndex((u) => hasCursor(u.id));
  return new Set(first < 0 ? [] : units.slice(0, first).map((u) => u.id));
}
