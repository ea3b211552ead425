import { MfmigError } from '../errors/index.js';
import { stripSqlComments } from '../adapter/sql-splitter.js';

const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /\battach\b/i, why: 'ATTACH reaches outside the database being migrated' },
  { pattern: /\bdetach\b/i, why: 'DETACH changes the connection, not the schema' },
  { pattern: /\bwritable_schema\b/i, why: 'PRAGMA writable_schema can corrupt the database' },
  { pattern: /["`[]?\bmfmig_\w*/i, why: "tables prefixed mfmig_ are mfmig's own history and must not be changed by a migration" },
  { pattern: /\bvacuum\b/i, why: 'VACUUM cannot run inside a migration transaction' },
];

/**
 * Rejects SQL that a migration must never run: reaching other files, editing SQLite's schema
 * table, or touching mfmig's own tables. String literals are left out of the check, so data may
 * mention these words.
 */
export function assertSafeMigrationSql(sql: string, file: string): void {
  const code = stripSqlComments(sql).replace(/'(?:[^']|'')*'/g, "''");
  for (const { pattern, why } of FORBIDDEN) {
    const match = pattern.exec(code);
    if (match) {
      throw new MfmigError('MIGRATION_FORBIDDEN', `Migration ${file} is refused: it uses "${match[0].trim()}", and ${why}`, {
        context: { file },
      });
    }
  }
}
