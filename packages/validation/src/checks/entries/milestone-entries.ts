import { checkMilestoneCompliance } from '../milestone-check.js';
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
  const current = state.currentMvp;
  if (current === 0) {
    rec.skip(check, 'not-applicable', 'no milestone is completely applied yet');
    return;
  }
  const upTo = state.migrations.milestones.filter((m) => m <= current);
  // one note for every milestone without a declaration (a folder from another project has none at all)
  const undeclared = upTo.filter((mvp) => state.specs!.undeclared.includes(mvp));
  if (undeclared.length > 0) {
    const folders = undeclared.map((mvp) => `mvp${mvp}`);
    rec.skip(
      { ...check, target: folders.join(', ') },
      'no-declaration',
      undeclared.length === 1 ? `${folders[0]}/milestone.json does not exist` : `no milestone.json in ${folders.map((f) => `${f}/`).join(', ')}`,
    );
  }
  for (const mvp of upTo) {
    if (!state.specs.undeclared.includes(mvp) && !state.specs.specs.has(mvp))
      rec.skip({ ...check, target: `mvp${mvp}` }, 'error', `mvp${mvp}/milestone.json is invalid (see MILESTONE_SPEC_INVALID)`);
  }
  const declared = upTo.filter((m) => state.specs!.specs.has(m));
  if (declared.length === 0) return;
  const result = await rec.attempt(check, () => checkMilestoneCompliance(env.schema, state.requirements!, declared));
  if (!result) return;
  rec.add(result.findings);
  out.compliance = result.compliance;
}
