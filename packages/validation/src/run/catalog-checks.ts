import { VALIDATION_CHECKS } from '../checks/registry.js';
import { type CatalogCheck, type CatalogCheckContext, checkIdOf, isCatalogCheck } from '../checks/validation-check.js';
import { recordLevelSkip } from './level-skip.js';

/**
 * The in-process checks of the registry that the run's method and level call for, in registry
 * order: first the checks of the level (every method that checks the database runs them; the
 * plan only those marked `inPlan`), then the method's own (`operation`). They read the catalog,
 * the history and files, and, for a few, count the rows of a table already known to be a
 * problem: cheap at any data size. They run on the calling thread while the probes run in
 * their child processes. A check the level leaves out is listed with its `levelSkip`.
 *
 * @example
 * await runCatalogChecks({ env, state, rec, op, out });
 * out.statistics; // { pageSize: 4096, ... }
 */
export async function runCatalogChecks(ctx: Omit<CatalogCheckContext, 'check'>): Promise<void> {
  const { env, rec, op } = ctx;
  const ofLevel = (c: CatalogCheck) => c.operation === undefined && (op.databaseChecks || c.inPlan === true);
  const ofMethod = (c: CatalogCheck) => c.operation === op.operation;
  for (const selected of [ofLevel, ofMethod]) {
    for (const check of VALIDATION_CHECKS) {
      if (!isCatalogCheck(check) || !selected(check)) continue;
      if (!check.levels.includes(env.level)) recordLevelSkip(check, rec);
      else await check.run({ ...ctx, check: checkIdOf(check) });
    }
  }
}
