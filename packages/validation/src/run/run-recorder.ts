import type { CheckId } from '../checks/check-env.js';
import { errorInfo, isCorruptionCode } from '../probe/probe.js';
import { finding } from '../report/finding-codes.js';
import type { CheckRecord, SkipReason, SkippedCheck, ValidationFinding } from '../report/types.js';

/**
 * Collects what a run found, ran and did not run. Checks run through {@link guard}: past the
 * deadline they are skipped (reason `timeout`), and one that throws is listed as skipped with
 * a finding, so that nothing counts as passed without having run.
 *
 * @example
 * const rec = new RunRecorder(performance.now() + 5000);
 * await rec.guard({ id: 'index.redundant', kind: 'index' }, () => checkRedundantIndexes(env));
 */
export class RunRecorder {
  readonly findings: ValidationFinding[] = [];
  readonly checksRun: CheckRecord[] = [];
  readonly checksSkipped: SkippedCheck[] = [];
  readonly deadline: number;

  constructor(deadline: number) {
    this.deadline = deadline;
  }

  get expired(): boolean {
    return performance.now() >= this.deadline;
  }

  add(findings: ValidationFinding[]): void {
    this.findings.push(...findings);
  }

  ran(check: CheckId, durationMs: number): void {
    this.checksRun.push({ ...check, durationMs: Math.round(durationMs * 10) / 10 });
  }

  skip(check: CheckId, reason: SkipReason, message: string): void {
    this.checksSkipped.push({ ...check, reason, message });
  }

  /** Runs a check that returns findings, and adds them. False when it did not run. */
  async guard(check: CheckId, fn: () => ValidationFinding[] | Promise<ValidationFinding[]>): Promise<boolean> {
    const findings = await this.attempt(check, fn);
    if (findings) this.add(findings);
    return findings !== undefined;
  }

  /** Runs a check that returns a value; undefined when it was skipped or failed. */
  async attempt<T>(check: CheckId, fn: () => T | Promise<T>): Promise<T | undefined> {
    // Let pending I/O callbacks run first: idle probe children get their next probe meanwhile.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.expired) {
      this.skip(check, 'timeout', 'not started before the validation timeout');
      return undefined;
    }
    const start = performance.now();
    try {
      const value = await fn();
      this.ran(check, performance.now() - start);
      return value;
    } catch (error) {
      this.failed(check, error);
      return undefined;
    }
  }

  /** Records a check that could not run because of an error (corruption or otherwise). */
  failed(check: CheckId, error: unknown): void {
    const { code, message } = errorInfo(error);
    if (isCorruptionCode(code)) {
      this.findings.push(check.id === 'integrity.locate' && check.target ? corruptionFinding(message, check.target) : corruptionFinding(message));
      this.skip(check, 'corrupt', `the database could not be read: ${message}`);
    } else {
      const what = check.target ? `${check.id} (${check.target})` : check.id;
      this.findings.push(
        finding(
          'CHECK_FAILED',
          `Check ${what} could not run: ${message}`,
          'Fix the cause and validate again; this part of the database was not checked',
          check.target ? { object: check.target } : {},
        ),
      );
      this.skip(check, 'error', message);
    }
  }

  /** After the run: one `VALIDATION_INCOMPLETE` finding when the timeout cut checks short. */
  closeTimeouts(timeoutMs: number): void {
    const cut = this.checksSkipped.filter((s) => s.reason === 'timeout');
    if (cut.length === 0) return;
    const names = cut.map((s) => (s.target ? `${s.id} (${s.target})` : s.id));
    const list = names.slice(0, 8).join(', ') + (names.length > 8 ? `, and ${names.length - 8} more` : '');
    this.findings.push(
      finding(
        'VALIDATION_INCOMPLETE',
        `Validation stopped at its ${timeoutMs} ms timeout; not checked: ${list}`,
        'Raise VALIDATION_TIMEOUT (or validationTimeout), or run a lower INTEGRITY_CHECK_LEVEL',
        {},
        { count: cut.length },
      ),
    );
  }
}

/** The finding for an unreadable (damaged) database file, or table when one is named. */
export function corruptionFinding(message: string, table?: string): ValidationFinding {
  const what = table ? `Table ${table} (or one of its indexes) is damaged` : 'The database file is damaged';
  return finding(
    'DATABASE_CORRUPT',
    `${what}: ${message}`,
    'Stop writing to it; restore the latest backup (mfmig restore), or recover what is readable with the sqlite3 .recover command',
    table ? { table } : {},
  );
}
