import { createHash } from 'node:crypto';

/**
 * Normalises migration text so that a checksum does not depend on how the file was saved:
 * a byte-order mark, CRLF or CR line endings, and trailing whitespace do not count.
 */
export function normaliseMigrationText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/**
 * sha256 (hex) of the normalised content of a migration.
 *
 * @example
 * checksumMigration('SELECT 1;\r\n') === checksumMigration('SELECT 1;\n'); // true
 */
export function checksumMigration(text: string): string {
  return createHash('sha256').update(normaliseMigrationText(text), 'utf8').digest('hex');
}
