import type { FindingCode } from '../report/finding-codes.js';
import { DATA_CHECKS } from './entries/data-entries.js';
import { HISTORY_CHECKS } from './entries/history-entries.js';
import { INDEX_CHECKS } from './entries/index-entries.js';
import { INTEGRITY_CHECKS } from './entries/integrity-entries.js';
import { MILESTONE_CHECKS } from './entries/milestone-entries.js';
import { OPERATION_CHECKS } from './entries/operation-entries.js';
import { PERFORMANCE_CHECKS } from './entries/performance-entries.js';
import { REFERENTIAL_CHECKS } from './entries/referential-entries.js';
import { SCHEMA_CHECKS } from './entries/schema-entries.js';
import type { ValidationCheck } from './validation-check.js';

/**
 * Every check of a validation run, one entry each (the types are in validation-check.ts). The
 * run is driven by this list: `runCatalogChecks` calls the catalog checks, `submitProbeStage`
 * makes the probes of the level, both in the order of this list, and record the checks a
 * level leaves out (`levelSkip`). `LEVEL_CHECKS` and the level table of the README are
 * generated from it.
 *
 * Adding a check means adding one entry to the list of its kind in `entries/<kind>-entries.ts`
 * (a method's own checks are in `entries/operation-entries.ts`), next to the function that does
 * the work (in `checks/`):
 *
 * - `id` (unique, as `checksRun` and `checksSkipped` will list it), `kind`, `levels`, `codes`
 *   (every finding code it can raise, from report/finding-codes.ts; a new code is added there
 *   first), `where` and a one-line `description`;
 * - a catalog check (`where: 'catalog'`) gets `run(ctx)`, which records itself under
 *   `ctx.check` with `ctx.rec.guard` / `attempt` / `skip` and reads what it needs from the
 *   context (`env`, `state`, `op`; `out` for what the report carries besides findings). Leave
 *   `operation` unset for a check every database method runs at its levels, or name the one
 *   method that adds it;
 * - a probe check (`where: 'probe'`) gets `probes`: a `ProbeSource` whose `tasks(ctx)` returns
 *   the probes (plain SQL, run in child processes) with their `check` ids and how their rows
 *   become findings; its `stage` says when its inputs are known;
 * - `levelSkip` when the levels that leave it out should say so in `checksSkipped`.
 *
 * Then regenerate the README table (`node tools/generate-validation-levels.mjs`);
 * test/levels-doc.test.ts fails until it matches. Nothing else changes: the runner, the level
 * descriptions and the docs follow the list. Within each stage (the probes from the catalog,
 * the probes that need the milestone, the catalog checks of the level, a method's own checks)
 * checks run in the order of this list, so a new entry's place in its kind's list, and the
 * order of the kinds below, is its place in the run.
 *
 * @example
 * VALIDATION_CHECKS.filter((c) => c.levels.includes('quick')).map((c) => c.id);
 */
export const VALIDATION_CHECKS: readonly ValidationCheck[] = [
  ...INTEGRITY_CHECKS,
  ...HISTORY_CHECKS,
  ...SCHEMA_CHECKS,
  ...MILESTONE_CHECKS,
  ...REFERENTIAL_CHECKS,
  ...INDEX_CHECKS,
  ...DATA_CHECKS,
  ...PERFORMANCE_CHECKS,
  ...OPERATION_CHECKS,
];

/**
 * Codes no check raises itself: the run recorder adds them for any check. (A check that finds
 * the file unreadable also ends in `DATABASE_CORRUPT`, which the integrity checks list.)
 *
 * @example
 * RECORDER_CODES.map((c) => c.code); // ['CHECK_FAILED', 'VALIDATION_INCOMPLETE']
 */
export const RECORDER_CODES: readonly { code: FindingCode; description: string }[] = [
  { code: 'CHECK_FAILED', description: 'a check could not run (it is listed in `checksSkipped`)' },
  { code: 'VALIDATION_INCOMPLETE', description: 'the timeout cut checks short (they are listed in `checksSkipped`, reason `timeout`)' },
];
