import { type DialectParticipant, MfmigError } from '@mfmig/core';
import { BLOCKING_KINDS, type PostgresValidationDocument } from '@mfmig/validation';
import type { PostgresValidationService } from './postgres-validation-service.js';

/** What the validation around one run found: before its first step, and after its last. */
export interface PostgresRunValidations {
  preValidation?: PostgresValidationDocument;
  postValidation?: PostgresValidationDocument;
}

/**
 * Validation around a PostgreSQL up run, under the run's lock (a runner that waited validates
 * the schema it will migrate): before the first step, a blocking error (integrity, history)
 * stops the run before anything is written; after the last, a problem the run made (one the
 * first report did not have) fails it with `VALIDATION_FAILED`, stage `post-migration`. Nothing
 * happens in a dry run, a rollback, or a run with no step.
 *
 * @example
 * const checks = postgresRunValidation(framework.validation);
 * ctx.runner(conn, migrations, { preserve: true, extra: [checks.participant] });
 */
export function postgresRunValidation(validation: PostgresValidationService): { participant: DialectParticipant; found: PostgresRunValidations } {
  const found: PostgresRunValidations = {};
  // the run whose first step was validated: a revert that follows it on the same runner is not validated again here
  let validated: string | null = null;
  const participant: DialectParticipant = {
    name: 'framework-postgres-validation',
    async beforeRun(run) {
      if (run.dryRun || run.direction !== 'up' || run.steps.length === 0) return;
      const pre = await validation.validatePreMigrationState();
      found.preValidation = pre;
      validated = run.runId;
      const blocking = pre.errors.filter((f) => BLOCKING_KINDS.includes(f.kind));
      if (blocking.length > 0) throw validationError('Pre-migration validation found', blocking, 'pre-migration');
    },
    async afterRun(run, result) {
      if (run.runId !== validated || !found.preValidation || result.error || !result.results.some((r) => r.status === 'Success')) return;
      const post = await validation.validatePostMigration(found.preValidation);
      found.postValidation = post;
      if (!post.isValid) throw validationError('Post-migration validation found new', post.errors, 'post-migration');
    },
  };
  return { participant, found };
}

function validationError(what: string, errors: PostgresValidationDocument['errors'], stage: 'pre-migration' | 'post-migration'): MfmigError {
  const first = errors[0];
  return new MfmigError('VALIDATION_FAILED', `${what} ${errors.length} error(s)${first ? `, first: ${first.message}` : ''}`, {
    context: { stage, findings: errors.slice(0, 20) },
  });
}
