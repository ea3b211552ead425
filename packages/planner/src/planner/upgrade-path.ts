import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MigrationPlan, type RiskLevel, maxRisk } from '../plan/plan-types.js';

/** One milestone on the way to the target. */
export interface MilestoneBreakdown {
  mvp: number;
  title: string | null;
  migrations: { version: number; name: string; riskLevel: RiskLevel; estimatedSeconds: number }[];
  riskLevel: RiskLevel;
  /** Minutes. */
  estimatedDuration: number;
  estimatedSeconds: number;
  requiresDowntime: boolean;
  /** The findings of medium risk or above. */
  riskReasons: string[];
}

/** The per-milestone breakdown of a plan. */
export interface UpgradePathAnalysis {
  currentMVP: number;
  targetMVP: number;
  direction: MigrationPlan['direction'];
  milestones: MilestoneBreakdown[];
  riskLevel: RiskLevel;
  estimatedDuration: number;
  requiresDowntime: boolean;
  plan: MigrationPlan;
}

/**
 * Groups a plan's steps by milestone (with the milestone's title from `mvpN/milestone.json`
 * when there is one).
 *
 * @example
 * groupByMilestone(plan, './migrations').milestones.map((m) => [m.mvp, m.riskLevel]);
 */
export function groupByMilestone(plan: MigrationPlan, migrationsRoot: string): UpgradePathAnalysis {
  const mvps = [...new Set(plan.steps.map((s) => s.mvp))];
  const milestones = mvps.map((mvp): MilestoneBreakdown => {
    const steps = plan.steps.filter((s) => s.mvp === mvp);
    const seconds = steps.reduce((sum, s) => sum + s.estimatedSeconds, 0);
    return {
      mvp,
      title: milestoneTitle(migrationsRoot, mvp),
      migrations: steps.map((s) => ({ version: s.version, name: s.name, riskLevel: s.riskLevel, estimatedSeconds: s.estimatedSeconds })),
      riskLevel: maxRisk(...steps.map((s) => s.riskLevel)),
      estimatedDuration: Math.round((seconds / 60) * 100) / 100,
      estimatedSeconds: seconds,
      requiresDowntime: steps.some((s) => s.blocksWritesSeconds > plan.downtimeThresholdSeconds),
      riskReasons: steps.flatMap((s) => s.rules.filter((r) => r.severity !== 'low').map((r) => `${s.version} ${s.name}: ${r.explanation}`)),
    };
  });
  return {
    currentMVP: plan.currentMVP,
    targetMVP: plan.targetMVP,
    direction: plan.direction,
    milestones,
    riskLevel: plan.riskLevel,
    estimatedDuration: plan.estimatedDuration,
    requiresDowntime: plan.requiresDowntime,
    plan,
  };
}

function milestoneTitle(root: string, mvp: number): string | null {
  const file = join(root, `mvp${mvp}`, 'milestone.json');
  if (!existsSync(file)) return null;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { title?: unknown };
    return typeof parsed.title === 'string' ? parsed.title : null;
  } catch {
    return null;
  }
}
