import type { IntegrityFinding, MigrationStatus } from '@mfmig/core';
import type { CheckKind, FindingLocation, ValidationFinding } from '../report/types.js';

const SEVERITY: Record<IntegrityFinding['severity'], ValidationFinding['severity']> = { error: 'high', warning: 'medium', info: 'low' };

/** The kind and the advice of each code the PostgreSQL integrity checks report. */
const INTEGRITY_CODES: Record<string, { kind: CheckKind; suggestion: string; at: keyof FindingLocation }> = {
  INVALID_INDEX: { kind: 'index', at: 'index', suggestion: 'Drop the invalid index (DROP INDEX CONCURRENTLY) and build it again once the data allows it' },
  CONSTRAINT_NOT_VALIDATED: {
    kind: 'referential',
    at: 'table',
    suggestion: 'Fix the rows that break the constraint, then run ALTER TABLE ... VALIDATE CONSTRAINT in a migration',
  },
  FOREIGN_KEY_ORPHANS: { kind: 'referential', at: 'table', suggestion: 'Delete or re-parent the orphan rows, or add the missing parent rows' },
  SEQUENCE_BEHIND: { kind: 'data', at: 'table', suggestion: "Move the sequence past the column's largest value with setval" },
  FOREIGN_KEY_WITHOUT_INDEX: {
    kind: 'index',
    at: 'table',
    suggestion: "Index the foreign key's columns (CREATE INDEX CONCURRENTLY, in a transaction: none migration)",
  },
  TABLE_BLOAT: { kind: 'performance', at: 'table', suggestion: 'VACUUM (ANALYZE) the table, and check that autovacuum keeps up with it' },
  ORPHAN_SCAN_SKIPPED: { kind: 'referential', at: 'table', suggestion: 'Look for orphan rows with the query in the message, at a quiet time' },
};

/** The codes of the history problems, as the SQLite validation names them. */
const HISTORY_CODES: Record<string, { code: string; severity: ValidationFinding['severity']; suggestion: string }> = {
  CHECKSUM_MISMATCH: {
    code: 'HISTORY_CHECKSUM_MISMATCH',
    severity: 'high',
    suggestion: 'Restore the migration file as it was applied, or accept the edit with `mfmig migrate --accept-checksum <version>`',
  },
  MIGRATION_MISSING: { code: 'HISTORY_MIGRATION_MISSING', severity: 'high', suggestion: 'Restore the missing migration file from version control' },
  PARTIAL: { code: 'HISTORY_PARTIAL', severity: 'medium', suggestion: 'Run `mfmig migrate` to finish the interrupted data transformation' },
  OUT_OF_ORDER: { code: 'HISTORY_OUT_OF_ORDER', severity: 'low', suggestion: 'Run `mfmig migrate` to apply it' },
  MIGRATION_FAILED: {
    code: 'HISTORY_MIGRATION_FAILED',
    severity: 'medium',
    suggestion: 'Fix the migration (its error says what failed), then migrate again; nothing of it was applied',
  },
};

/** A problem of the history (`DialectMigrator.status().problems`) as a finding, with SQLite's codes. */
export function historyFinding(p: MigrationStatus['problems'][number]): ValidationFinding {
  const known = HISTORY_CODES[p.code];
  return {
    severity: known?.severity ?? (p.severity === 'error' ? 'high' : 'medium'),
    code: known?.code ?? `HISTORY_${p.code}`,
    kind: 'history',
    message: p.message,
    suggestion: known?.suggestion ?? 'Run `mfmig status` for details',
    location: { version: p.version },
  };
}

/** A finding of the dialect's integrity checks (`conn.integrity.run()`), with its kind and advice. */
export function integrityFinding(f: IntegrityFinding): ValidationFinding {
  const known = INTEGRITY_CODES[f.code];
  const kind = f.code === 'CONSTRAINT_NOT_VALIDATED' && f.message.startsWith('CHECK') ? 'data' : (known?.kind ?? 'integrity');
  return {
    severity: SEVERITY[f.severity],
    code: f.code,
    kind,
    message: f.message,
    suggestion: known?.suggestion ?? 'See the message',
    location: { [known?.at ?? 'object']: f.object },
  };
}
