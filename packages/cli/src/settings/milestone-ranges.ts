import type { MilestoneRange } from '@mfmig/core';

/**
 * The config file's milestones (milestone number to the first version it holds) as the version
 * ranges `loadMigrations` takes: each milestone runs through the version before the next one's
 * first, the last is open. Gaps in the numbering are left for the loader to refuse by name.
 *
 * @example
 * milestoneRanges({ 1: 1, 2: 7 }); // [{ mvp: 1, through: 6 }, { mvp: 2 }]
 */
export function milestoneRanges(milestones: Record<number, number> | undefined): MilestoneRange[] | undefined {
  if (milestones === undefined) return undefined;
  const starts = Object.entries(milestones)
    .map(([mvp, first]) => ({ mvp: Number(mvp), first }))
    .sort((a, b) => a.mvp - b.mvp);
  return starts.map(({ mvp }, i) => (i + 1 < starts.length ? { mvp, through: starts[i + 1]!.first - 1 } : { mvp }));
}
