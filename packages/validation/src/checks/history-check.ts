import type { MigrationStatus } from '@mfmig/core';
import { type FindingCode, finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';

const CODES: Record<string, { code: FindingCode; suggestion: string }> = {
  CHECKSUM_MISMATCH: {
    code: 'HISTORY_CHECKSUM_MISMATCH',
    suggestion: 'Restore the migration file as it was applied, or accept the edit with `mfmig migrate --accept-checksum <version>`',
  },
  MIGRATION_MISSING: { code: 'HISTORY_MIGRATION_MISSING', suggestion: 'Restore the missing migration file from version control' },
  PARTIAL: { code: 'HISTORY_PARTIAL', suggestion: 'Run `mfmig migrate` to finish the interrupted data transformation' },
  OUT_OF_ORDER: { code: 'HISTORY_OUT_OF_ORDER', suggestion: 'Run `mfmig migrate` to apply it' },
  MIGRATION_FAILED: {
    code: 'HISTORY_MIGRATION_FAILED',
    suggestion: 'Fix the migration (its error says what failed), then migrate again; nothing of it was applied',
  },
};

/**
 * Turns the problems of the history (edited or missing migration files, partially applied or
 * out-of-order migrations) into findings.
 *
 * @example
 * checkHistory(status).map((f) => f.code); // ['HISTORY_CHECKSUM_MISMATCH']
 */
export function checkHistory(status: MigrationStatus): ValidationFinding[] {
  return status.problems.map((p) => {
    const known = CODES[p.code];
    if (known) return finding(known.code, p.message, known.suggestion, { version: p.version });
    return finding(
      'HISTORY_PARTIAL',
      p.message,
      'Run `mfmig status` for details',
      { version: p.version },
      { severity: p.severity === 'error' ? 'high' : 'medium' },
    );
  });
}
