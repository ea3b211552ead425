import { type SqliteConnection, messageOf } from '@mfmig/core';
import { type LiveState, liveStatus } from '../live-state.js';
import type { RollbackStage } from '../plan/rollback-plan.js';

/** One check run between the stages of a rollback. */
export interface ValidationCheck {
  name: 'integrity' | 'foreign-keys' | 'history' | 'custom';
  ok: boolean;
  detail: string | null;
}

/** The checks run after one stage of a rollback. */
export interface StageValidation {
  afterVersion: number;
  milestone: number;
  ok: boolean;
  checks: ValidationCheck[];
}

/** What a custom validator receives after each stage. */
export interface RollbackValidationInput {
  /** The live database's connection (`connection.query`, `connection.introspector`, ...). */
  connection: SqliteConnection;
  version: number;
  milestone: number;
  stage: RollbackStage;
}

/** A validation report as `@mfmig/validation` returns it (only `isValid` and the messages are read). */
export interface ValidatorReport {
  isValid: boolean;
  errors?: { message: string }[];
}

/** A custom check between stages, e.g. `(input) => validation.validateRollbackResult(input.version)`. */
export type RollbackValidator = (input: RollbackValidationInput) => Promise<boolean | ValidatorReport> | boolean | ValidatorReport;

/**
 * Checks the database after a rollback stage: `integrity_check` (or `quick_check`), no foreign
 * key violations beyond those there before the rollback, a history exactly at the stage's
 * version with no edited, missing or partial migration, and the custom validator if given.
 *
 * @example
 * const v = await validateStage({ connection, migrations }, stage, { baselineViolations: 0 });
 * if (!v.ok) console.log(v.checks.filter((c) => !c.ok));
 */
export async function validateStage(
  live: LiveState,
  stage: RollbackStage,
  options: { baselineViolations: number; level?: 'quick' | 'full'; validator?: RollbackValidator },
): Promise<StageValidation> {
  const { connection } = live;
  const checks: ValidationCheck[] = [];
  const problems = await connection.checkIntegrity(options.level ?? 'full', 10);
  const sound = problems.length === 0;
  checks.push({ name: 'integrity', ok: sound, detail: sound ? null : problems.join('; ') });
  const violations = await connection.foreignKeyCheck();
  const fkOk = violations.length <= options.baselineViolations;
  checks.push({
    name: 'foreign-keys',
    ok: fkOk,
    detail: fkOk
      ? null
      : `${violations.length - options.baselineViolations} new foreign key violation(s), e.g. ${violations[0]?.table} -> ${violations[0]?.parent}`,
  });
  const status = await liveStatus(live);
  const historyProblems: string[] = [];
  // nothing applied is version 0, or -1 in a folder with a migration numbered 0
  const current = status.applied.length === 0 ? Math.min(0, stage.toVersion) : status.currentVersion;
  if (current !== stage.toVersion) historyProblems.push(`history is at version ${status.currentVersion}, expected ${stage.toVersion}`);
  for (const p of status.problems) if (p.severity === 'error' || p.code === 'PARTIAL') historyProblems.push(p.message);
  checks.push({ name: 'history', ok: historyProblems.length === 0, detail: historyProblems.join('; ') || null });
  if (options.validator)
    checks.push(await runValidator(options.validator, { connection, version: status.currentVersion, milestone: status.currentMvp, stage }));
  return { afterVersion: status.currentVersion, milestone: status.currentMvp, ok: checks.every((c) => c.ok), checks };
}

async function runValidator(validator: RollbackValidator, input: RollbackValidationInput): Promise<ValidationCheck> {
  try {
    const outcome = await validator(input);
    if (typeof outcome === 'boolean') return { name: 'custom', ok: outcome, detail: outcome ? null : 'the validator returned false' };
    const detail = outcome.errors?.map((e) => e.message).join('; ') || 'the validator reported the database invalid';
    return { name: 'custom', ok: outcome.isValid, detail: outcome.isValid ? null : detail };
  } catch (error) {
    return { name: 'custom', ok: false, detail: `the validator threw: ${messageOf(error)}` };
  }
}
