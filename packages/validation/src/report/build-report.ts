import type { IntegrityCheckLevel } from '@mfmig/core';
import type {
  CheckRecord,
  DatabaseStatistics,
  MigrationSafety,
  MilestoneCompliance,
  ReportSummary,
  Severity,
  SkippedCheck,
  ValidationFinding,
  ValidationReport,
} from './types.js';

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * Points one finding of each severity takes off the health score.
 *
 * @example
 * 100 - HEALTH_PENALTY.high; // the health of a database with one high finding
 */
export const HEALTH_PENALTY: Record<Severity, number> = { critical: 25, high: 10, medium: 3, low: 1 };

/**
 * The highest health score a database with a critical finding can have.
 *
 * @example
 * report.summary.overallHealth <= CRITICAL_HEALTH_CAP; // whenever report.summary.criticalIssues > 0
 */
export const CRITICAL_HEALTH_CAP = 40;

/** The parts a report is assembled from. */
export interface ReportParts {
  operation: ValidationReport['operation'];
  level: IntegrityCheckLevel;
  database: string;
  startedAt: number;
  findings: ValidationFinding[];
  checksRun: CheckRecord[];
  checksSkipped: SkippedCheck[];
  milestone?: ValidationReport['milestone'];
  statistics?: DatabaseStatistics | null;
}

/**
 * Scores findings: 100 minus 25 per critical, 10 per high, 3 per medium and 1 per low finding,
 * never below 0, and at most 40 while any critical finding remains.
 *
 * @example
 * overallHealth([]); // 100
 */
export function overallHealth(findings: ValidationFinding[]): number {
  const penalty = findings.reduce((sum, f) => sum + HEALTH_PENALTY[f.severity], 0);
  const score = Math.max(0, 100 - penalty);
  return findings.some((f) => f.severity === 'critical') ? Math.min(score, CRITICAL_HEALTH_CAP) : score;
}

/**
 * `unsafe` when a critical finding exists, `caution` when a high one does, else `safe`
 * (medium and low findings, such as a slow query, do not make a migration less safe).
 *
 * @example
 * migrationSafety([]); // 'safe'
 */
export function migrationSafety(findings: ValidationFinding[]): MigrationSafety {
  if (findings.some((f) => f.severity === 'critical')) return 'unsafe';
  if (findings.some((f) => f.severity === 'high')) return 'caution';
  return 'safe';
}

/**
 * Assembles the one report shape: duplicates dropped, errors (critical, high) and warnings
 * (medium, low) sorted worst first, the summary computed.
 *
 * @example
 * const report = buildReport({ operation: 'comprehensive', level: 'quick', database: ':memory:', startedAt: performance.now(), findings: [], checksRun: [], checksSkipped: [] });
 * report.isValid; // true
 */
export function buildReport(parts: ReportParts): ValidationReport {
  const findings = dedupe(parts.findings).sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const errors = findings.filter((f) => f.severity === 'critical' || f.severity === 'high');
  const warnings = findings.filter((f) => f.severity === 'medium' || f.severity === 'low');
  const summary: ReportSummary = {
    overallHealth: overallHealth(findings),
    criticalIssues: findings.filter((f) => f.severity === 'critical').length,
    migrationSafety: migrationSafety(findings),
  };
  return {
    isValid: errors.length === 0,
    errors,
    warnings,
    preExisting: [],
    summary,
    checksRun: parts.checksRun,
    checksSkipped: parts.checksSkipped,
    level: parts.level,
    durationMs: Math.round((performance.now() - parts.startedAt) * 10) / 10,
    operation: parts.operation,
    database: parts.database,
    milestone: parts.milestone ?? { current: null, compliance: [] as MilestoneCompliance[] },
    statistics: parts.statistics ?? null,
  };
}

function dedupe(findings: ValidationFinding[]): ValidationFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}\u0000${JSON.stringify(f.location)}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
