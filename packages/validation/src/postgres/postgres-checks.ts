import type { IntegrityFinding, PostgresConnection } from '@mfmig/core';
import type { CheckKind, FindingLocation, ValidationFinding } from '../report/types.js';

/** What one finding code of a PostgreSQL check means in the report: its kind, what it points at, and the advice. */
export interface PostgresCode {
  code: string;
  kind: CheckKind;
  at: keyof FindingLocation;
  suggestion: string;
}

/**
 * One catalog check of a PostgreSQL validation run: the dialect's integrity checks, one entry each,
 * as `VALIDATION_CHECKS` holds SQLite's. Each runs on its own under the run's deadline (a check that
 * fails or runs out of time is listed in `checksSkipped`, and the others still report), and the
 * README's PostgreSQL table is generated from the list.
 */
export interface PostgresCheck {
  /** As `checksRun` and `checksSkipped` list it. Unique. */
  id: string;
  kind: CheckKind;
  /** Every code it can raise, with what the report makes of it. */
  codes: readonly PostgresCode[];
  /** One line for the documentation. */
  description: string;
  run(conn: PostgresConnection): Promise<IntegrityFinding[]>;
}

/**
 * The PostgreSQL catalog checks, in the order a run runs them. Adding one means adding an entry
 * here, over a method of core's `PostgresIntegrity`, then regenerating the README
 * (`node tools/generate-validation-levels.mjs`).
 *
 * @example
 * POSTGRES_CHECKS.map((c) => c.id); // ['integrity.invalid-indexes', 'integrity.unvalidated-constraints', ...]
 */
export const POSTGRES_CHECKS: readonly PostgresCheck[] = [
  {
    id: 'integrity.invalid-indexes',
    kind: 'index',
    description: 'indexes left invalid (`indisvalid = false`) by a failed concurrent build, and partitioned indexes missing a partition',
    codes: [
      {
        code: 'INVALID_INDEX',
        kind: 'index',
        at: 'index',
        suggestion: 'Drop the invalid index (DROP INDEX CONCURRENTLY) and build it again once the data allows it',
      },
    ],
    run: (conn) => conn.integrity.invalidIndexes(),
  },
  {
    id: 'integrity.unvalidated-constraints',
    kind: 'referential',
    description: 'foreign keys and CHECK constraints added `NOT VALID` and never validated',
    codes: [
      {
        code: 'CONSTRAINT_NOT_VALIDATED',
        kind: 'referential',
        at: 'table',
        suggestion: 'Fix the rows that break the constraint, then run ALTER TABLE ... VALIDATE CONSTRAINT in a migration',
      },
    ],
    run: (conn) => conn.integrity.unvalidatedConstraints(),
  },
  {
    id: 'integrity.foreign-key-orphans',
    kind: 'referential',
    description: 'child rows whose foreign key matches no parent row (tables over `orphanScanMaxRows` are named, not scanned)',
    codes: [
      { code: 'FOREIGN_KEY_ORPHANS', kind: 'referential', at: 'table', suggestion: 'Delete or re-parent the orphan rows, or add the missing parent rows' },
      { code: 'ORPHAN_SCAN_SKIPPED', kind: 'referential', at: 'table', suggestion: 'Look for orphan rows with the query in the message, at a quiet time' },
    ],
    run: (conn) => conn.integrity.foreignKeyOrphans(),
  },
  {
    id: 'integrity.sequences',
    kind: 'data',
    description: 'sequences whose next value is not past the largest value of the column they feed',
    codes: [{ code: 'SEQUENCE_BEHIND', kind: 'data', at: 'table', suggestion: "Move the sequence past the column's largest value with setval" }],
    run: (conn) => conn.integrity.sequencesBehind(),
  },
  {
    id: 'integrity.unindexed-foreign-keys',
    kind: 'index',
    description: 'foreign keys no index starts with (every delete of a parent row scans the child)',
    codes: [
      {
        code: 'FOREIGN_KEY_WITHOUT_INDEX',
        kind: 'index',
        at: 'table',
        suggestion: "Index the foreign key's columns (CREATE INDEX CONCURRENTLY, in a transaction: none migration)",
      },
    ],
    run: (conn) => conn.integrity.unindexedForeignKeys(),
  },
  {
    id: 'integrity.bloat',
    kind: 'performance',
    description: 'tables whose dead rows the statistics estimate above a fifth of the live ones',
    codes: [{ code: 'TABLE_BLOAT', kind: 'performance', at: 'table', suggestion: 'VACUUM (ANALYZE) the table, and check that autovacuum keeps up with it' }],
    run: (conn) => conn.integrity.bloatedTables(),
  },
];

const SEVERITY: Record<IntegrityFinding['severity'], ValidationFinding['severity']> = { error: 'high', warning: 'medium', info: 'low' };

/**
 * A finding of one {@link PostgresCheck}, with its kind and advice (a CHECK constraint never
 * validated is about data, a foreign key about references).
 *
 * @example
 * run.findings.push(...(await check.run(conn)).map((f) => postgresFinding(check, f)));
 */
export function postgresFinding(check: PostgresCheck, f: IntegrityFinding): ValidationFinding {
  const known = check.codes.find((c) => c.code === f.code);
  const kind = f.code === 'CONSTRAINT_NOT_VALIDATED' && f.message.startsWith('CHECK') ? 'data' : (known?.kind ?? check.kind);
  return {
    severity: SEVERITY[f.severity],
    code: f.code,
    kind,
    message: f.message,
    suggestion: known?.suggestion ?? 'See the message',
    location: { [known?.at ?? 'object']: f.object },
  };
}
