import { checksumMigration, normaliseMigrationText } from '../checksum.js';

/** What the mfmig rendering of a migration holds. */
export interface CanonicalSqlParts {
  upSql: string;
  downSql?: string;
  /** Flyway's `1.1`, kept in a `-- version-label:` header. */
  versionLabel?: string;
  /** A section that runs outside a transaction gets `transaction:false` after its marker. */
  transactions?: { up?: 'immediate' | 'none'; down?: 'immediate' | 'none' };
}

/**
 * The mfmig (dbmate-style) file of a migration read from another format: what `mfmig import`
 * writes. Its checksum is the migration's checksum in every format, so a converted folder keeps
 * the checksums its databases recorded.
 *
 * @example
 * renderMfmigSql({ upSql: 'CREATE TABLE t (id INTEGER);', downSql: 'DROP TABLE t;' });
 * // '-- migrate:up\nCREATE TABLE t (id INTEGER);\n\n-- migrate:down\nDROP TABLE t;\n'
 */
export function renderMfmigSql(parts: CanonicalSqlParts): string {
  const header = parts.versionLabel === undefined ? '' : `-- version-label: ${parts.versionLabel}\n\n`;
  const down = parts.downSql === undefined ? '' : `${parts.downSql}\n`;
  const option = (mode: 'immediate' | 'none' | undefined) => (mode === 'none' ? ' transaction:false' : '');
  return `${normaliseMigrationText(`${header}-- migrate:up${option(parts.transactions?.up)}\n${parts.upSql}\n\n-- migrate:down${option(parts.transactions?.down)}\n${down}`)}\n`;
}

/**
 * The checksum of {@link renderMfmigSql}'s rendering.
 *
 * @example
 * canonicalChecksum({ upSql: 'SELECT 1;' }) === checksumMigration(renderMfmigSql({ upSql: 'SELECT 1;' })); // true
 */
export function canonicalChecksum(parts: CanonicalSqlParts): string {
  return checksumMigration(renderMfmigSql(parts));
}
