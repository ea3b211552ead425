import type { DatabaseIntrospector } from '@mfmig/core';
import { checkMilestoneCompliance } from '../checks/milestone-check.js';
import type { MilestoneCompliance, SkipReason, ValidationFinding } from '../report/types.js';
import { schemaModelOf } from '../schema/schema-model-of.js';
import type { LoadedMilestoneSpecs } from './load-milestone-specs.js';
import type { MilestoneRequirements } from './merge-requirements.js';

/** Which milestones' declarations the `milestone.compliance` check compares, and the parts it cannot check (with why). */
export interface MilestoneCompliancePlan {
  skipped: { reason: SkipReason; message: string; target?: string }[];
  /** The milestones whose declarations are checked; empty when there is nothing to check. */
  declared: number[];
}

/**
 * The milestones the `milestone.compliance` check compares at `currentMvp`, on every dialect:
 * nothing before the first milestone is complete (`not-applicable`), a milestone without a
 * `milestone.json` is skipped (`no-declaration`), and so is one whose declaration is invalid
 * (`error`; its `MILESTONE_SPEC_INVALID` finding is in `specs.problems`).
 *
 * @example
 * const plan = planMilestoneCompliance(loadMilestoneSpecs(migrations.root, migrations.milestones), migrations.milestones, 3);
 * plan.declared; // [1, 2, 3]
 */
export function planMilestoneCompliance(specs: LoadedMilestoneSpecs, milestones: number[], currentMvp: number): MilestoneCompliancePlan {
  if (currentMvp === 0) return { skipped: [{ reason: 'not-applicable', message: 'no milestone is completely applied yet' }], declared: [] };
  const plan: MilestoneCompliancePlan = { skipped: [], declared: [] };
  const upTo = milestones.filter((m) => m <= currentMvp);
  // one note for every milestone without a declaration (a folder from another project has none at all)
  const undeclared = upTo.filter((mvp) => specs.undeclared.includes(mvp)).map((mvp) => `mvp${mvp}`);
  if (undeclared.length > 0) {
    const message =
      undeclared.length === 1 ? `${undeclared[0]}/milestone.json does not exist` : `no milestone.json in ${undeclared.map((f) => `${f}/`).join(', ')}`;
    plan.skipped.push({ reason: 'no-declaration', message, target: undeclared.join(', ') });
  }
  for (const mvp of upTo) {
    if (!specs.undeclared.includes(mvp) && !specs.specs.has(mvp))
      plan.skipped.push({ reason: 'error', message: `mvp${mvp}/milestone.json is invalid (see MILESTONE_SPEC_INVALID)`, target: `mvp${mvp}` });
  }
  plan.declared = upTo.filter((m) => specs.specs.has(m));
  return plan;
}

/**
 * Milestone compliance read through a dialect's introspector: the tables, columns, indexes and
 * views that the `declared` milestones' requirements name (SQLite's validation run reads its own
 * schema model instead).
 *
 * @example
 * const { findings, compliance } = await checkMilestoneComplianceOf(conn.introspector, mergeRequirements(specs.specs, 3), plan.declared);
 */
export async function checkMilestoneComplianceOf(
  introspector: DatabaseIntrospector,
  requirements: MilestoneRequirements,
  declared: number[],
): Promise<{ findings: ValidationFinding[]; compliance: MilestoneCompliance[] }> {
  return checkMilestoneCompliance(await schemaModelOf(introspector), requirements, declared);
}
