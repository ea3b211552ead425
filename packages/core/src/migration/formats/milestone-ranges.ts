import { relative } from 'node:path';
import { MfmigError } from '../../errors/index.js';
import { type Migration, migrationLabel } from '../migration.js';

/**
 * One milestone of a flat folder: the migrations up to and including version `through` (after
 * the previous milestone's) belong to milestone `mvp`. `through` is a version number as mfmig
 * orders it (`20240101120000`; Flyway's `1.1` is `1001000`) or, as a string, a version as the
 * folder writes it (`'1.1'`); the last milestone may leave it out to take every later migration.
 */
export interface MilestoneRange {
  mvp: number;
  through?: number | string;
}

const fail = (message: string) =>
  new MfmigError('CONFIG_INVALID', `Configuration option milestones is invalid: ${message}`, { context: { field: 'milestones' } });

/**
 * Gives each migration of a flat folder its milestone from the configured ranges, and returns the
 * milestones that hold migrations. Milestones are numbered 1, 2, 3... in order (a gap is an
 * error), each `through` after the previous one (an overlap is an error), and a migration past
 * the last `through` is an error naming it.
 *
 * @example
 * assignMilestones(migrations, [{ mvp: 1, through: 5 }, { mvp: 2 }], Number, root); // [1, 2]
 */
export function assignMilestones(migrations: Migration[], ranges: readonly MilestoneRange[], versionKey: (version: string) => number, root: string): number[] {
  if (!Array.isArray(ranges) || ranges.length === 0) throw fail('give at least one { mvp, through } entry, or leave the option out');
  const limits = ranges.map((range, index) => {
    if (typeof range !== 'object' || range === null) throw fail(`entry ${index + 1} is not an object like { mvp: 1, through: 5 }`);
    if (range.mvp !== index + 1) {
      throw fail(`entry ${index + 1} is mvp ${String(range.mvp)}; milestones are numbered 1, 2, 3... in order, without gaps (expected mvp ${index + 1})`);
    }
    if (range.through === undefined) {
      if (index < ranges.length - 1) throw fail(`mvp ${range.mvp} has no "through"; only the last milestone may leave it out`);
      return Number.POSITIVE_INFINITY;
    }
    if (typeof range.through !== 'number' && typeof range.through !== 'string') throw fail(`mvp ${range.mvp}: "through" must be a version`);
    const key = typeof range.through === 'number' ? range.through : versionKey(range.through);
    if (!Number.isSafeInteger(key) || key < 0) throw fail(`mvp ${range.mvp}: "through" ${String(range.through)} is not a version of this folder`);
    return key;
  });
  limits.forEach((limit, index) => {
    if (index > 0 && limit <= limits[index - 1]!) {
      throw fail(
        `mvp ${index + 1} ends at ${String(ranges[index]!.through)}, not after mvp ${index}'s ${String(ranges[index - 1]!.through)}: the ranges overlap`,
      );
    }
  });
  const used = new Set<number>();
  for (const m of migrations) {
    const index = limits.findIndex((limit) => m.version <= limit);
    if (index < 0) {
      throw fail(
        `migration ${relative(root, m.file)} (${migrationLabel(m)}) comes after the last milestone, mvp ${ranges.length} through ${String(ranges.at(-1)!.through)}; extend the last range or add a milestone`,
      );
    }
    m.mvp = index + 1;
    used.add(index + 1);
  }
  return [...used].sort((a, b) => a - b);
}
