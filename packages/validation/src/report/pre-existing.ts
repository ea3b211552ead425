import { buildReport } from './build-report.js';
import type { ValidationFinding, ValidationReport } from './types.js';

/** Kinds of findings that say a migration cannot safely start (the others describe the data and schema as they are). */
export const BLOCKING_KINDS: readonly ValidationFinding['kind'][] = ['integrity', 'run', 'history', 'plan'];

const sameProblem = (a: ValidationFinding, b: ValidationFinding): boolean =>
  a.code === b.code &&
  a.location.table === b.location.table &&
  a.location.column === b.location.column &&
  a.location.index === b.location.index &&
  a.location.object === b.location.object &&
  a.location.milestone === b.location.milestone;

/**
 * Whether a finding was already in `baseline` (a report of either dialect, taken before a
 * migration): the same code at the same place, with no more rows affected.
 *
 * @example
 * const old = baselineFinds(before);
 * after.errors.filter((f) => !old(f)); // what the migration made
 */
export function baselineFinds(baseline: Pick<ValidationReport, 'errors' | 'warnings' | 'preExisting'>): (f: ValidationFinding) => boolean {
  const before = [...baseline.errors, ...baseline.warnings, ...(baseline.preExisting ?? [])];
  return (f) => before.some((b) => sameProblem(f, b) && (f.count ?? 1) <= (b.count ?? 1));
}

/**
 * Splits off the findings a `baseline` report (taken before a migration) already had: the same
 * code at the same place, with no more rows affected. They are kept in `preExisting` and no
 * longer make the report invalid: a migration is not blamed for what it found.
 *
 * @example
 * const post = withBaseline(afterReport, beforeReport);
 * post.preExisting.map((f) => f.code); // ['FK_VIOLATION'] — old orphans, not new ones
 */
export function withBaseline(report: ValidationReport, baseline: ValidationReport): ValidationReport {
  const old = baselineFinds(baseline);
  const all = [...report.errors, ...report.warnings];
  const preExisting = all.filter(old).map((f) => ({ ...f, preExisting: true as const }));
  const rebuilt = buildReport({
    operation: report.operation,
    level: report.level,
    database: report.database,
    startedAt: performance.now() - report.durationMs,
    findings: all.filter((f) => !old(f)),
    checksRun: report.checksRun,
    checksSkipped: report.checksSkipped,
    milestone: report.milestone,
    statistics: report.statistics,
  });
  return { ...rebuilt, durationMs: report.durationMs, preExisting: [...(report.preExisting ?? []), ...preExisting] };
}
