import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import { type MilestoneSpec, parseMilestoneSpec } from './milestone-spec.js';

/**
 * The file each milestone folder declares its requirements in.
 *
 * @example
 * join('migrations', 'mvp2', MILESTONE_SPEC_FILE); // 'migrations/mvp2/milestone.json'
 */
export const MILESTONE_SPEC_FILE = 'milestone.json';

/** What {@link loadMilestoneSpecs} found. */
export interface LoadedMilestoneSpecs {
  specs: Map<number, MilestoneSpec>;
  /** Milestones whose folder has no `milestone.json`. */
  undeclared: number[];
  /** One finding per unreadable or invalid `milestone.json`. */
  problems: ValidationFinding[];
}

/**
 * Reads `<root>/mvpN/milestone.json` for each milestone. A missing file is listed as
 * undeclared; an invalid one becomes a `MILESTONE_SPEC_INVALID` finding, never an exception.
 *
 * @example
 * const { specs } = loadMilestoneSpecs('./migrations', [1, 2]);
 * specs.get(1)?.tables.kb_entries;
 */
export function loadMilestoneSpecs(root: string, milestones: number[]): LoadedMilestoneSpecs {
  const specs = new Map<number, MilestoneSpec>();
  const undeclared: number[] = [];
  const problems: ValidationFinding[] = [];
  for (const mvp of milestones) {
    const file = join(root, `mvp${mvp}`, MILESTONE_SPEC_FILE);
    if (!existsSync(file)) {
      undeclared.push(mvp);
      continue;
    }
    const invalid = (why: string) =>
      problems.push(
        finding(
          'MILESTONE_SPEC_INVALID',
          `mvp${mvp}/${MILESTONE_SPEC_FILE} is invalid: ${why}`,
          `Fix the file (its format is in the @mfmig/validation README); MVP${mvp} compliance was not checked`,
          {
            milestone: mvp,
          },
        ),
      );
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      invalid((error as Error).message);
      continue;
    }
    const parsed = parseMilestoneSpec(json);
    if (!parsed.ok) invalid(parsed.message);
    else if (parsed.spec.milestone !== mvp) invalid(`it declares milestone ${parsed.spec.milestone} but lives in mvp${mvp}/`);
    else specs.set(mvp, parsed.spec);
  }
  return { specs, undeclared, problems };
}
