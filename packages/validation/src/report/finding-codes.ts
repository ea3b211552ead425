import type { CheckKind, FindingLocation, Severity, ValidationFinding } from './types.js';

/**
 * Every code a finding can carry, with its severity and the kind of check that raises it.
 *
 * @example
 * FINDING_CODES.FK_VIOLATION; // { severity: 'high', kind: 'referential' }
 */
export const FINDING_CODES = {
  DATABASE_CORRUPT: { severity: 'critical', kind: 'integrity' },
  INDEX_CORRUPT: { severity: 'critical', kind: 'integrity' },
  DATA_NULL_REQUIRED: { severity: 'high', kind: 'data' },
  DATA_CHECK_VIOLATION: { severity: 'high', kind: 'data' },
  DATA_DOMAIN_VIOLATION: { severity: 'high', kind: 'data' },
  DATA_DUPLICATE: { severity: 'high', kind: 'data' },
  DATA_ORPHAN: { severity: 'high', kind: 'data' },
  FK_VIOLATION: { severity: 'high', kind: 'referential' },
  FK_PARENT_MISSING: { severity: 'critical', kind: 'referential' },
  FK_PARENT_KEY_INVALID: { severity: 'high', kind: 'referential' },
  INDEX_FK_UNINDEXED: { severity: 'medium', kind: 'index' },
  INDEX_REDUNDANT: { severity: 'low', kind: 'index' },
  SCHEMA_TABLE_MISSING: { severity: 'high', kind: 'schema' },
  SCHEMA_TABLE_UNEXPECTED: { severity: 'low', kind: 'schema' },
  SCHEMA_COLUMN_MISSING: { severity: 'high', kind: 'schema' },
  SCHEMA_COLUMN_UNEXPECTED: { severity: 'low', kind: 'schema' },
  SCHEMA_COLUMN_MISMATCH: { severity: 'medium', kind: 'schema' },
  SCHEMA_CONSTRAINT_MISMATCH: { severity: 'medium', kind: 'schema' },
  SCHEMA_INDEX_MISSING: { severity: 'medium', kind: 'schema' },
  SCHEMA_INDEX_UNEXPECTED: { severity: 'low', kind: 'schema' },
  SCHEMA_INDEX_MISMATCH: { severity: 'medium', kind: 'schema' },
  SCHEMA_VIEW_MISSING: { severity: 'high', kind: 'schema' },
  SCHEMA_VIEW_UNEXPECTED: { severity: 'low', kind: 'schema' },
  SCHEMA_VIEW_MISMATCH: { severity: 'medium', kind: 'schema' },
  SCHEMA_TRIGGER_MISSING: { severity: 'high', kind: 'schema' },
  SCHEMA_TRIGGER_UNEXPECTED: { severity: 'medium', kind: 'schema' },
  SCHEMA_TRIGGER_MISMATCH: { severity: 'medium', kind: 'schema' },
  HISTORY_CHECKSUM_MISMATCH: { severity: 'high', kind: 'history' },
  HISTORY_MIGRATION_MISSING: { severity: 'high', kind: 'history' },
  HISTORY_PARTIAL: { severity: 'medium', kind: 'history' },
  HISTORY_OUT_OF_ORDER: { severity: 'low', kind: 'history' },
  HISTORY_MIGRATION_FAILED: { severity: 'medium', kind: 'history' },
  HISTORY_LOCK_HELD: { severity: 'high', kind: 'history' },
  HISTORY_LOCK_STALE: { severity: 'low', kind: 'history' },
  MILESTONE_TABLE_MISSING: { severity: 'critical', kind: 'milestone' },
  MILESTONE_COLUMN_MISSING: { severity: 'high', kind: 'milestone' },
  MILESTONE_INDEX_MISSING: { severity: 'medium', kind: 'milestone' },
  MILESTONE_VIEW_MISSING: { severity: 'high', kind: 'milestone' },
  MILESTONE_SPEC_INVALID: { severity: 'high', kind: 'milestone' },
  PERF_QUERY_SCAN: { severity: 'medium', kind: 'performance' },
  PERF_QUERY_INVALID: { severity: 'high', kind: 'performance' },
  PERF_FREELIST: { severity: 'low', kind: 'performance' },
  PERF_SPARSE_PAGES: { severity: 'low', kind: 'performance' },
  DISK_SPACE_LOW: { severity: 'high', kind: 'run' },
  CHECK_FAILED: { severity: 'medium', kind: 'run' },
  VALIDATION_INCOMPLETE: { severity: 'high', kind: 'run' },
  PLAN_INVALID: { severity: 'critical', kind: 'plan' },
  PLAN_TARGET_UNKNOWN: { severity: 'critical', kind: 'plan' },
  PLAN_STEP_UNKNOWN: { severity: 'critical', kind: 'plan' },
  PLAN_STALE: { severity: 'high', kind: 'plan' },
  PLAN_STEP_ORDER: { severity: 'high', kind: 'plan' },
  PLAN_STEP_DIRECTION: { severity: 'high', kind: 'plan' },
  PLAN_STEP_APPLIED: { severity: 'high', kind: 'plan' },
  PLAN_STEP_NOT_APPLIED: { severity: 'high', kind: 'plan' },
  PLAN_INCOMPLETE: { severity: 'high', kind: 'plan' },
  PLAN_STEP_OUT_OF_RANGE: { severity: 'high', kind: 'plan' },
  PLAN_NO_DOWN: { severity: 'critical', kind: 'plan' },
  PLAN_IRREVERSIBLE_STEP: { severity: 'medium', kind: 'plan' },
  PLAN_DISK_SPACE: { severity: 'critical', kind: 'plan' },
  PLAN_HIGH_RISK: { severity: 'medium', kind: 'plan' },
  POST_MIGRATION_NOT_RECORDED: { severity: 'critical', kind: 'history' },
  POST_MIGRATION_PARTIAL: { severity: 'high', kind: 'history' },
  ROLLBACK_INCOMPLETE: { severity: 'critical', kind: 'history' },
  ROLLBACK_TARGET_UNKNOWN: { severity: 'high', kind: 'history' },
} as const satisfies Record<string, { severity: Severity; kind: CheckKind }>;

/** A code of {@link FINDING_CODES}. */
export type FindingCode = keyof typeof FINDING_CODES;

/**
 * Makes a finding with the severity and kind its code carries (a different severity can be given).
 *
 * @example
 * finding('FK_VIOLATION', '3 rows of kb_tags point at no kb_entries row', 'Delete or re-parent them', { table: 'kb_tags' });
 */
export function finding(
  code: FindingCode,
  message: string,
  suggestion: string,
  location: FindingLocation = {},
  extra: { count?: number; severity?: Severity } = {},
): ValidationFinding {
  const spec = FINDING_CODES[code];
  const result: ValidationFinding = { severity: extra.severity ?? spec.severity, code, kind: spec.kind, message, suggestion, location };
  if (extra.count !== undefined) result.count = extra.count;
  return result;
}
