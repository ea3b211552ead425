import type { IntegrityCheckLevel } from '@mfmig/core';

/** How bad a finding is. `critical` and `high` are errors; `medium` and `low` are warnings. */
export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** The family of checks a finding comes from. */
export type CheckKind = 'schema' | 'data' | 'referential' | 'index' | 'performance' | 'milestone' | 'history' | 'plan' | 'integrity' | 'run';

/** Whether it is safe to migrate: `unsafe` with any critical finding, `caution` with any high one. */
export type MigrationSafety = 'safe' | 'caution' | 'unsafe';

/** Where a finding is. Every field is optional; the ones that apply are set. */
export interface FindingLocation {
  table?: string;
  column?: string;
  index?: string;
  /** The rowid of the first offending row (rowid tables only). */
  rowid?: number;
  /** The milestone (MVP number) whose declaration the finding is about. */
  milestone?: number;
  /** A migration version the finding is about. */
  version?: number;
  /** The database page a corruption message names. */
  page?: number;
  /** The name of a declared critical query, view or trigger. */
  object?: string;
}

/** One thing the validator found. */
export interface ValidationFinding {
  severity: Severity;
  /** Stable machine-readable code, e.g. `FK_VIOLATION` (see the README for the list). */
  code: string;
  kind: CheckKind;
  /** What is wrong, in a sentence that names the object. */
  message: string;
  /** What to do about it. */
  suggestion: string;
  location: FindingLocation;
  /** How many rows (or objects) are affected, when counted. */
  count?: number;
  /** Set on findings a baseline report taken before the migration already had (see `preExisting`). */
  preExisting?: true;
}

/** A check that ran. `target` names the table, column or query it ran on, when it has one. */
export interface CheckRecord {
  id: string;
  kind: CheckKind;
  target?: string;
  durationMs: number;
}

/** Why a check did not run. */
export type SkipReason = 'level' | 'no-migrations' | 'no-history' | 'no-declaration' | 'timeout' | 'corrupt' | 'error' | 'not-applicable';

/** A check that did not run, and why: never reported as passed. */
export interface SkippedCheck {
  id: string;
  kind: CheckKind;
  target?: string;
  reason: SkipReason;
  message: string;
}

/** The summary every report carries. */
export interface ReportSummary {
  /** 0 (unusable) to 100 (no findings); see the README for the formula. */
  overallHealth: number;
  /** Number of findings of severity `critical`. */
  criticalIssues: number;
  migrationSafety: MigrationSafety;
}

/** How complete one milestone's declared features are. */
export interface MilestoneCompliance {
  milestone: number;
  /** True when every declared table, column, index and view is present. */
  complete: boolean;
  /** The declared features that are missing, as `table`, `table.column`, `index:name` or `view:name`. */
  missing: string[];
}

/** Size and space figures of the database file. */
export interface DatabaseStatistics {
  pageSize: number;
  pageCount: number;
  freelistCount: number;
  sizeBytes: number;
  /** Per b-tree share of leaf pages that do not follow their predecessor (comprehensive level only). */
  fragmentation?: Record<string, { pages: number; outOfOrder: number; unusedRatio: number }>;
}

/** What every validation method returns. */
export interface ValidationReport {
  /** True when there is no `critical` or `high` finding (a check cut short by the timeout is a `high` finding). */
  isValid: boolean;
  /** Findings of severity `critical` and `high`, worst first. */
  errors: ValidationFinding[];
  /** Findings of severity `medium` and `low`, worst first. */
  warnings: ValidationFinding[];
  /**
   * Findings that a baseline report (`{ baseline }` option, taken before the migration) already
   * had, at any severity: reported, but they do not make the report invalid. Empty without a baseline.
   */
  preExisting: ValidationFinding[];
  summary: ReportSummary;
  checksRun: CheckRecord[];
  checksSkipped: SkippedCheck[];
  level: IntegrityCheckLevel;
  durationMs: number;
  /** Which method produced the report. */
  operation: 'comprehensive' | 'pre-migration' | 'post-migration' | 'plan' | 'rollback';
  /** The database file, or `:memory:`. */
  database: string;
  /** The milestone the database is at (null when there is no mfmig history), and per-milestone compliance. */
  milestone: { current: number | null; compliance: MilestoneCompliance[] };
  statistics: DatabaseStatistics | null;
}
