import { type SqliteConnection, quoteIdentifier } from '@mfmig/core';

/**
 * How many rows of `table` break one of its foreign keys now (`PRAGMA foreign_key_check`):
 * counted as SQLite reads them, none held. A restore compares the count before and after its
 * writes, so that the orphans a table already had do not fail it.
 *
 * @example
 * const before = await foreignKeyViolations(conn, 'kb_tags');
 */
export async function foreignKeyViolations(conn: SqliteConnection, table: string): Promise<number> {
  return conn.forEachRow(`PRAGMA foreign_key_check(${quoteIdentifier(table)})`, [], () => {});
}
