import type { IntegrityFinding } from '@mfmig/core';
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
