import { type MigrationPlugin, type MigrationTarget, MfmigError } from '@mfmig/core';
import type { MigrationPlan, MigrationPlanner } from '@mfmig/planner';
import type { RollbackManager } from '@mfmig/rollback';
import { BLOCKING_KINDS, type ValidationReport, type ValidationService } from '@mfmig/validation';

/** What the current `migrateTo` call asked for. */
export interface RunRequest {
  target: MigrationTarget;
  validate: boolean;
  plan: MigrationPlan | false | undefined;
  checkpoint: boolean;
  checkpointId: string;
  /** What the steps before the run found (set by the plugin): the baseline of post-migration validation. */
  preValidation?: ValidationReport;
}

/**
 * The framework's steps around a run, as a plugin so that they happen after the run lock is
 * taken (a waiting runner validates the state it will migrate, not the one before the other
 * runner finished): pre-migration validation, plan, checkpoint before the first step, and
 * post-migration validation after the last.
 */
export function createRunSequencePlugin(
  request: () => RunRequest | undefined,
  services: { validation: ValidationService; planner: MigrationPlanner; rollbackManager: RollbackManager },
): MigrationPlugin {
  return {
    name: 'framework-run-sequence',
    async beforeRun(run) {
      const r = request();
      if (!r || run.dryRun || run.direction !== 'up' || run.steps.length === 0) return;
      if (r.validate) {
        const pre = await services.validation.validatePreMigrationState();
        const blocking = pre.errors.filter((f) => BLOCKING_KINDS.includes(f.kind));
        if (blocking.length > 0) throw validationError('Pre-migration validation', blocking, 'pre-migration');
        r.preValidation = pre;
        stash(run, 'preValidation', pre);
      }
      if (r.plan !== false) stash(run, 'plan', r.plan ?? (await services.planner.createPlan(r.target)));
      if (r.checkpoint) stash(run, 'checkpoint', await services.rollbackManager.createCheckpoint(r.checkpointId, { target: r.target }));
    },
    async afterRun(run, result) {
      const r = request();
      Object.assign(result.extras, stashed.get(run.runId) ?? {});
      stashed.delete(run.runId);
      if (!r?.validate || run.dryRun || run.direction !== 'up' || result.error) return;
      const applied = result.results.filter((x) => x.status === 'Success');
      if (applied.length === 0) return;
      const post = await services.validation.validatePostMigration(applied.at(-1)!.version, r.preValidation ? { baseline: r.preValidation } : {});
      result.extras.postValidation = post;
      if (!post.isValid) throw validationError('Post-migration validation', post.errors, 'post-migration');
    },
  };
}

const stashed = new Map<string, Record<string, unknown>>();

function stash(run: { runId: string }, key: string, value: unknown): void {
  const entry = stashed.get(run.runId) ?? {};
  entry[key] = value;
  stashed.set(run.runId, entry);
}

/** The error of a validation step; `stage` tells the framework whether the run's changes must be taken back. */
function validationError(what: string, errors: ValidationReport['errors'], stage: 'pre-migration' | 'post-migration'): MfmigError {
  const first = errors[0];
  const found = stage === 'post-migration' ? 'found new' : 'found';
  return new MfmigError('VALIDATION_FAILED', `${what} ${found} ${errors.length} error(s)${first ? `, first: ${first.message}` : ''}`, {
    context: { stage, findings: errors.slice(0, 20) },
  });
}
