import type { DatabaseIntrospector, MigrationSet } from '@mfmig/core';
import { checkMilestoneCompliance } from '../checks/milestone-check.js';
import type { MilestoneCompliance, SkipReason, ValidationFinding } from '../report/types.js';
import { schemaModelOf } from '../schema/schema-model-of.js';
import { loadMilestoneSpecs } from './load-milestone-specs.js';
import { type MilestoneRequirements, mergeRequirements } from './merge-requirements.js';

/** What the `milestone.json` files say is to be checked at a milestone, before the database is read (see {@link planMilestoneCompliance}). */
export interface MilestoneCompliancePlan {
  /** `MILESTONE_SPEC_INVALID` findings. */
  findings: ValidationFinding[];
  /** The parts that cannot be checked, and why. */
  skipped: { reason: SkipReason; message: string; target?: string }[];
  /** The milestones whose declarations are checked; empty when there is nothing to check. */
  declared: number[];
  requirements: MilestoneRequirements;
}

/**
 * Milestone compliance (the `milestone.compliance` check) on any dialect, first step: reads the
 * `milestone.json` of each milestone up to `currentMvp`, with the same rules as on SQLite: an
 * invalid declaration is a `MILESTONE_SPEC_INVALID` finding, a milestone without one is skipped
 * (`no-declaration`), and nothing is checked before the first milestone is complete. Then
 * {@link checkMilestoneComplianceOf} reads the database.
 *
 * @example
 * const plan = planMilestoneCompliance(migrations, status.currentMvp);
 * if (plan.declared.length > 0) await checkMilestoneComplianceOf(conn.introspector, plan);
 */
export function planMilestoneCompliance(migrations: MigrationSet, currentMvp: number): MilestoneCompliancePlan {
  const specs = loadMilestoneSpecs(migrations.root, migrations.milestones);
  const plan: MilestoneCompliancePlan = { findings: [...specs.problems], skipped: [], declared: [], requirements: mergeRequirements(specs.specs, currentMvp) };
  if (currentMvp === 0) {
    plan.skipped.push({ reason: 'not-applicable', message: 'no milestone is completely applied yet' });
    return plan;
  }
  const upTo = migrations.milestones.filter((m) => m <= currentMvp);
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
 * Milestone compliance, second step: the tables, columns, indexes and views the planned
 * declarations name, read through the dialect's introspector.
 *
 * @example
 * const { findings, compliance } = await checkMilestoneComplianceOf(conn.introspector, plan);
 */
export async function checkMilestoneComplianceOf(
  introspector: DatabaseIntrospector,
  plan: MilestoneCompliancePlan,
): Promise<{ findings: ValidationFinding[]; compliance: MilestoneCompliance[] }> {
  return checkMilestoneCompliance(await schemaModelOf(introspector), plan.requirements, plan.declared);
}
