import { bindNumbered } from './numbered-params.js';
import { sqliteBindable } from './bindable-value.js';
import type { SqliteConnection } from './sqlite-connection.js';

/**
 * Copies the rows `select` reads on `from` into another SQLite database with `insert` (one `?`
 * per column `select` reads, in its order), in one IMMEDIATE transaction of `into`: each row is
 * written as SQLite reads it, with the values as the driver reads them, so that a large
 * selection is never held in memory, and the insert is prepared once. Returns the rows copied.
 * Parameters of `select` as `SqliteConnection.query` takes them.
 *
 * @example
 * await copySqliteRows(live, 'SELECT id, title FROM kb_entries LIMIT 400', [], sample, 'INSERT INTO kb_entries (id, title) VALUES (?, ?)'); // 400
 */
export async function copySqliteRows(
  from: SqliteConnection,
  select: string,
  params: readonly unknown[],
  into: SqliteConnection,
  insert: string,
): Promise<number> {
  const write = into.adapter.prepare(insert);
  const read = from.adapter.prepare(select).raw();
  let rows = 0;
  into.adapter.transaction(() => {
    for (const row of read.iterate(...bindNumbered(select, params.map(sqliteBindable))) as Iterable<unknown[]>) {
      write.run(...row);
      rows++;
    }
  });
  return rows;
}
