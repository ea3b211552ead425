import { quoteIdentifier } from './quote.js';

/** `PRAGMA foreign_key_check` of one table, or of the whole database: one row per child row whose parent is missing. */
export function foreignKeyCheckSql(table?: string): string {
  return table ? `PRAGMA foreign_key_check(${quoteIdentifier(table)})` : 'PRAGMA foreign_key_check';
}
