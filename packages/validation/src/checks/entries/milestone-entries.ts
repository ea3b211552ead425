import { checkMilestoneCompliance } from '../milestone-check.js';
import { planMilestoneCompliance } from '../../milestone/connection-compliance.js';
import { type CatalogCheck, type CatalogCheckContext, EVERY_LEVEL } from '../validation-check.js';

/** What the completed milestones declare (milestone.json), against the catalog. */
export const MILESTONE_CHECKS: CatalogCheck[] = [
  {
    id: 'milestone.compliance',
    kind: 'milestone',
    levels: EVERY_LEVEL,
    codes: ['MILESTONE_TABLE_MISSING', 'MILESTONE_COLUMN_MISSING', 'MILESTONE_INDEX_MISSING', 'MILESTONE_VIEW_MISSING', 'MILESTONE_SPEC_INVALID'],
    where: 'catalog',
    description: 'milestone compliance: the tables, columns, indexes and views the completed milestones declare (needs migrationsPath)',
    run: milestoneCompliance,
  },
];

async function milestoneCompliance({ check, env, state, rec, out }: CatalogCheckContext): Promise<void> {
  if (!state.migrations || !state.specs) {
    rec.skip(check, 'no-migrations', state.migrationsUnavailable ?? 'no migrations folder');
    return;
  }
  rec.add(state.specs.problems);
  if (state.currentMvp === null || !state.requirements) {
    rec.skip(check, 'no-history', 'the database has no mfmig history, so the milestone it should comply with is unknown');
    return;
  }
  const plan = planMilestoneCompliance(state.specs, state.migrations.milestones, state.currentMvp);
  for (const skip of plan.skipped) rec.skip(skip.target === undefined ? check : { ...check, target: skip.target }, skip.reason, skip.message);
  const { declared } = plan;
  if (declared.length === 0) return;
  const result = await rec.attempt(check, () => checkMilestoneCompliance(env.schema, state.requirements!, declared));
  if (!result) return;
  rec.add(result.findings);
  out.compliance = result.compliance;
}
