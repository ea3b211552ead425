import { checkHistory } from '../history-check.js';
import { type CatalogCheck, EVERY_LEVEL, type RunnerStep } from '../validation-check.js';

/** Reading the mfmig history (read-only): the run does it before the checks that need it. */
export const HISTORY_READ: RunnerStep = {
  id: 'history.read',
  kind: 'history',
  levels: EVERY_LEVEL,
  codes: [],
  where: 'catalog',
  step: 'history',
  description: 'reads the mfmig history (read-only), for the checks below',
};

/** The history against the migrations folder. */
export const HISTORY_CHECKS: (CatalogCheck | RunnerStep)[] = [
  HISTORY_READ,
  {
    id: 'history.status',
    kind: 'history',
    levels: EVERY_LEVEL,
    codes: ['HISTORY_CHECKSUM_MISMATCH', 'HISTORY_MIGRATION_MISSING', 'HISTORY_PARTIAL', 'HISTORY_OUT_OF_ORDER', 'HISTORY_MIGRATION_FAILED'],
    where: 'catalog',
    inPlan: true,
    description:
      'the history against the migrations folder: edited (checksum) or missing files, partially applied, pending and failed migrations (needs migrationsPath)',
    run: async ({ check, state, rec, op }) => {
      if (state.status) await rec.guard(check, () => checkHistory(state.status!));
      // without a folder a plan lists only its own plan.steps as skipped (same reason)
      else if (op.databaseChecks) rec.skip(check, 'no-migrations', state.migrationsUnavailable ?? 'no migrations folder');
    },
  },
];
