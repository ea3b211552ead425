import type { ValidationFinding, ValidationReport } from '@mfmig/validation';
import type { Output } from './output.js';

/**
 * The part of a validation report both databases print the same way: errors, warnings, the
 * checks that did not run (other than by level), and the verdict.
 *
 * @example
 * renderFindings(cli.out, report);
 */
export function renderFindings(out: Output, report: Pick<ValidationReport, 'errors' | 'warnings' | 'checksSkipped' | 'isValid'>): void {
  const c = out.colors;
  section(out, 'Errors', report.errors);
  section(out, 'Warnings', report.warnings);
  const notRun = report.checksSkipped.filter((s) => s.reason !== 'level');
  if (notRun.length > 0) {
    out.line();
    out.line(c.bold('Not checked:'));
    for (const s of notRun) out.line(`  ${s.id}${s.target ? ` (${s.target})` : ''}: ${s.reason}, ${s.message}`);
  }
  out.line();
  out.line(report.isValid ? c.green('Valid: no errors found.') : c.red(`Not valid: ${report.errors.length} error(s).`));
}

function section(out: Output, title: string, findings: ValidationFinding[]): void {
  if (findings.length === 0) return;
  const c = out.colors;
  out.line();
  out.line(c.bold(`${title}:`));
  for (const f of findings) {
    const colour = f.severity === 'critical' || f.severity === 'high' ? c.red : f.severity === 'medium' ? c.yellow : c.dim;
    out.line(`  ${colour(f.severity.padEnd(8))} ${f.code}: ${f.message}`);
    out.line(`           ${c.dim(`-> ${f.suggestion}`)}`);
  }
}
