import { type DialectParticipant, type MigrationPlugin, type MigrationTarget, MfmigError, type RunResult, type RunValues, runKey } from '@mfmig/core';
import type { CheckpointRecord } from '@mfmig/rollback';
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
}

/** What the steps before the run found and made, for `result.extras` (pre-migration validation is also the baseline of the post-migration one). */
export interface RunSequenceFindings {
  preValidation?: ValidationReport;
  plan?: MigrationPlan;
  checkpoint?: CheckpointRecord;
}

/** The key under which `migrateTo` hands a run its {@link RunRequest} (`RunOptions.values`). */
export const RUN_REQUEST = runKey<RunRequest>('framework-run-request');

/** What the run sequence needs to know of a run: the same on `Migrator`'s `RunInfo` and `DialectMigrator`'s `DialectRun`. */
interface SequencedRun {
  readonly values: RunValues;
  readonly dryRun: boolean;
  readonly direction: 'up' | 'down';
  readonly steps: readonly unknown[];
}

/** The services the run sequence calls. */
export interface RunSequenceServices {
  validation: ValidationService;
  planner: MigrationPlanner;
  rollbackManager: RollbackManager;
}

/**
 * The framework's steps around a run, as a plugin so that they happen after the run lock is
 * taken (a waiting runner validates the state it will migrate, not the one before the other
 * runner finished): pre-migration validation, plan, checkpoint before the first step, and
 * post-migration validation after the last.
 */
export function createRunSequencePlugin(services: RunSequenceServices): MigrationPlugin {
  return runSequence(services);
}

/**
 * The same run sequence as a `DialectMigrator` participant, in its `beforeRun` and `afterRun`
 * hooks (under the run's lock), for a run on a `SqliteConnection` over the services' database.
 * The run reads its {@link RunRequest} from `values` (`RUN_REQUEST`), as the plugin does; without
 * one it does nothing.
 *
 * @example
 * const f = createMigrationFramework({ database: './kb.db', migrationsPath: './migrations' });
 * const migrator = new DialectMigrator({ connection: new SqliteConnection(f.context.adapter), migrations, participants: [createRunSequenceParticipant({ validation: f.validation, planner: f.planner, rollbackManager: f.rollbackManager })] });
 * await migrator.migrate({ mvp: 5 }, { values: new RunValues().set(RUN_REQUEST, { target: { mvp: 5 }, validate: true, plan: undefined, checkpoint: false, checkpointId: 'mvp5' }) });
 */
export function createRunSequenceParticipant(services: RunSequenceServices): DialectParticipant {
  return runSequence(services);
}

/** The run sequence's hooks, written against what both runners' runs have ({@link SequencedRun}), so one object is either form. */
function runSequence(services: RunSequenceServices) {
  // what one run's steps found, kept from its beforeRun to its afterRun (a runner runs one run at a time)
  const findings = new WeakMap<RunRequest, RunSequenceFindings>();
  return {
    name: 'framework-run-sequence',
    async beforeRun(run: SequencedRun): Promise<void> {
      const r = run.values.get(RUN_REQUEST);
      if (!r || run.dryRun || run.direction !== 'up' || run.steps.length === 0) return;
      const found: RunSequenceFindings = {};
      findings.set(r, found);
      if (r.validate) {
        const pre = await services.validation.validatePreMigrationState();
        const blocking = pre.errors.filter((f) => BLOCKING_KINDS.includes(f.kind));
        if (blocking.length > 0) throw validationError('Pre-migration validation', blocking, 'pre-migration');
        found.preValidation = pre;
      }
      if (r.plan !== false) found.plan = r.plan ?? (await services.planner.createPlan(r.target));
      if (r.checkpoint) found.checkpoint = await services.rollbackManager.createCheckpoint(r.checkpointId, { target: r.target });
    },
    async afterRun(run: SequencedRun, result: RunResult): Promise<void> {
      const r = run.values.get(RUN_REQUEST);
      const found = r && findings.get(r);
      if (!r || !found) return;
      findings.delete(r);
      Object.assign(result.extras, found);
      if (!r.validate || run.dryRun || run.direction !== 'up' || result.error) return;
      const applied = result.results.filter((x) => x.status === 'Success');
      if (applied.length === 0) return;
      const post = await services.validation.validatePostMigration(applied.at(-1)!.version, found.preValidation ? { baseline: found.preValidation } : {});
      result.extras.postValidation = post;
      if (!post.isValid) throw validationError('Post-migration validation', post.errors, 'post-migration');
    },
  };
}

/** The error of a validation step; `stage` tells the framework whether the run's changes must be taken back. */
function validationError(what: string, errors: ValidationReport['errors'], stage: 'pre-migration' | 'post-migration'): MfmigError {
  const first = errors[0];
  const found = stage === 'post-migration' ? 'found new' : 'found';
  return new MfmigError('VALIDATION_FAILED', `${what} ${found} ${errors.length} error(s)${first ? `, first: ${first.message}` : ''}`, {
    context: { stage, findings: errors.slice(0, 20) },
  });
}
