import { checkPlanResources, checkPlanSteps, planInvalid, planOf } from '../../operations/plan-checks.js';
import { checkDiskSpace, checkRecorded, checkRolledBack, checkRunLock, databaseFile } from '../../operations/state-checks.js';
import { type CatalogCheck, EVERY_LEVEL } from '../validation-check.js';

/**
 * The checks one method adds, after the checks of the level (kinds `history`, `run` and
 * `plan`): grouped here by the method that runs them rather than by kind.
 */
export const OPERATION_CHECKS: CatalogCheck[] = [
  {
    id: 'pre.lock',
    kind: 'history',
    levels: EVERY_LEVEL,
    codes: ['HISTORY_LOCK_HELD', 'HISTORY_LOCK_STALE'],
    where: 'catalog',
    operation: 'pre-migration',
    description: 'nobody else is migrating: the run lock is free, held by the calling process, or left by a run that is gone',
    run: async ({ check, state, rec }) => {
      await rec.guard(check, () => checkRunLock(state));
    },
  },
  {
    id: 'pre.disk_space',
    kind: 'run',
    levels: EVERY_LEVEL,
    codes: ['DISK_SPACE_LOW'],
    where: 'catalog',
    operation: 'pre-migration',
    description: 'the disk next to the database can hold a backup copy of it (not applicable in memory)',
    run: async ({ check, state, rec }) => {
      const file = databaseFile(state);
      if (!file) rec.skip(check, 'not-applicable', 'an in-memory database needs no disk space');
      else await rec.guard(check, () => checkDiskSpace(state, file));
    },
  },
  {
    id: 'post.recorded',
    kind: 'history',
    levels: EVERY_LEVEL,
    codes: ['POST_MIGRATION_NOT_RECORDED', 'POST_MIGRATION_PARTIAL'],
    where: 'catalog',
    operation: 'post-migration',
    description: 'the migration is recorded in the history as fully applied',
    run: async ({ check, state, rec, op }) => {
      if (op.operation !== 'post-migration') return;
      await rec.guard({ ...check, target: String(op.version) }, () => checkRecorded(state, op.version));
    },
  },
  {
    id: 'rollback.history',
    kind: 'history',
    levels: EVERY_LEVEL,
    codes: ['ROLLBACK_INCOMPLETE', 'ROLLBACK_TARGET_UNKNOWN'],
    where: 'catalog',
    operation: 'rollback',
    description: 'nothing above the rollback target is still applied, and the target is a version of the folder (or 0)',
    run: async ({ check, state, rec, op }) => {
      if (op.operation !== 'rollback') return;
      await rec.guard({ ...check, target: String(op.targetVersion) }, () => checkRolledBack(state, op.targetVersion));
    },
  },
  {
    id: 'plan.steps',
    kind: 'plan',
    levels: EVERY_LEVEL,
    codes: [
      'PLAN_INVALID',
      'PLAN_TARGET_UNKNOWN',
      'PLAN_STALE',
      'PLAN_STEP_UNKNOWN',
      'PLAN_STEP_DIRECTION',
      'PLAN_STEP_ORDER',
      'PLAN_STEP_OUT_OF_RANGE',
      'PLAN_STEP_APPLIED',
      'PLAN_STEP_NOT_APPLIED',
      'PLAN_NO_DOWN',
      'PLAN_IRREVERSIBLE_STEP',
      'PLAN_INCOMPLETE',
    ],
    where: 'catalog',
    operation: 'plan',
    description:
      'the plan against the folder and the history: its target exists, it starts where the database is, every step exists, goes its way, in order, is not done yet (or, going down, is applied and has a down migration); none is missing. A plan that is not a plan is `PLAN_INVALID`, and nothing else runs on it',
    run: async ({ check, state, rec, op }) => {
      if (op.operation !== 'plan') return;
      const parsed = planOf(op);
      const set = state.migrations;
      if (!parsed.ok) rec.add([planInvalid(parsed.message)]);
      else if (!set) rec.skip(check, 'no-migrations', state.migrationsUnavailable ?? 'no migrations folder');
      else await rec.guard(check, () => checkPlanSteps(parsed.plan, set, state));
    },
  },
  {
    id: 'plan.resources',
    kind: 'plan',
    levels: EVERY_LEVEL,
    codes: ['PLAN_DISK_SPACE', 'PLAN_HIGH_RISK'],
    where: 'catalog',
    operation: 'plan',
    description: 'the disk space the plan declares is free next to the database; a high or critical risk is flagged',
    run: async ({ check, state, rec, op }) => {
      if (op.operation !== 'plan') return;
      const parsed = planOf(op);
      if (parsed.ok) await rec.guard(check, () => checkPlanResources(parsed.plan, state));
    },
  },
];
