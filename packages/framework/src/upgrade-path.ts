import { type Migration, type MigrationStatus, MfmigError } from '@mfmig/core';

/** One milestone on the way to a target. */
export interface MilestoneStep {
  mvp: number;
  direction: 'up' | 'down';
  migrations: { version: number; name: string; description: string; kind: Migration['kind']; transformations: number }[];
}

/** What it takes to bring the database to a milestone. */
export interface UpgradePathAnalysis {
  currentMVP: number;
  targetMVP: number;
  currentVersion: number;
  targetVersion: number;
  direction: 'up' | 'down' | 'none';
  /** Per-milestone breakdown, in the order the milestones would be passed. */
  milestones: MilestoneStep[];
  totalMigrations: number;
  problems: MigrationStatus['problems'];
}

/** Groups the steps of a run by milestone. */
export function groupByMilestone(steps: Migration[], direction: 'up' | 'down'): MilestoneStep[] {
  const groups: MilestoneStep[] = [];
  for (const m of steps) {
    let group = groups.at(-1);
    if (!group || group.mvp !== m.mvp) {
      group = { mvp: m.mvp, direction, migrations: [] };
      groups.push(group);
    }
    group.migrations.push({
      version: m.version,
      name: m.name,
      description: m.description,
      kind: m.kind,
      transformations: m.transformations.length,
    });
  }
  return groups;
}

/** Checks a milestone number given by a user. */
export function assertMilestone(targetMVP: unknown): number {
  if (typeof targetMVP !== 'number' || !Number.isSafeInteger(targetMVP) || targetMVP < 0) {
    throw new MfmigError('TARGET_UNKNOWN', `Target milestone must be a whole number >= 0, not ${String(targetMVP)}`);
  }
  return targetMVP;
}

/**
 * The upgrade path from where `status` stands to milestone `targetMVP` (version `targetVersion`):
 * `steps` are the migrations to run, oldest first up or newest first down.
 *
 * @example
 * upgradePath(status, 3, 9, migrator.pendingSteps({ mvp: 3 }), false).milestones.map((m) => m.mvp); // [2, 3]
 */
export function upgradePath(status: MigrationStatus, targetMVP: number, targetVersion: number, steps: Migration[], down: boolean): UpgradePathAnalysis {
  return {
    currentMVP: status.currentMvp,
    targetMVP,
    currentVersion: status.currentVersion,
    targetVersion,
    direction: steps.length === 0 ? 'none' : down ? 'down' : 'up',
    milestones: groupByMilestone(steps, down ? 'down' : 'up'),
    totalMigrations: steps.length,
    problems: status.problems,
  };
}
