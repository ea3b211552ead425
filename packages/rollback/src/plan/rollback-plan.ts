import type { BackupRecord } from '../backup/backup-manifest.js';
import type { DataLoss } from '../analysis/data-loss-probe.js';

/** How dangerous a rollback is. */
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

/** How a rollback is carried out: the downs of one milestone, milestone by milestone with validation between, or a backup restore. */
export type RollbackStrategy = 'single-milestone' | 'staged' | 'full-restore';

/** Data one down step drops: a table, columns of a table, or rows (deleted or changed). */
export interface DataAtRisk {
  version: number;
  migration: string;
  table: string;
  kind: DataLoss['kind'];
  columns: string[];
  rows: number;
  /** True when the number comes from reading the SQL (an upper bound), not from running the down. */
  estimated: boolean;
}

/** One down migration of a plan. */
export interface RollbackStep {
  version: number;
  name: string;
  mvp: number;
  description: string;
  hasDown: boolean;
  /** False when the step has no down, is marked irreversible, or reverses a transformation that cannot be reversed. */
  reversible: boolean;
  irreversibleReasons: string[];
  dataAtRisk: DataAtRisk[];
  /** `probe`: the down was run in a savepoint and rolled back; `static`: its SQL was read; `none`: neither was possible. */
  analysis: 'probe' | 'static' | 'none';
  analysisError: string | null;
}

/** The downs of one milestone, run together; a staged rollback validates after each. */
export interface RollbackStage {
  mvp: number;
  fromVersion: number;
  toVersion: number;
  versions: number[];
}

/** The backup a plan would restore, and what it holds. */
export type BackupSummary = Pick<BackupRecord, 'id' | 'path' | 'kind' | 'createdAt' | 'version' | 'milestone' | 'sizeBytes' | 'sha256'> & {
  verified: boolean;
};

/** What `createRollbackPlan` returns and `executeRollbackPlan` carries out. */
export interface RollbackPlan {
  id: string;
  createdAt: string;
  database: string;
  fromVersion: number;
  fromMvp: number;
  targetVersion: number;
  targetMvp: number;
  /** Down steps in the order they run (newest first). */
  steps: RollbackStep[];
  stages: RollbackStage[];
  strategy: RollbackStrategy;
  riskLevel: RiskLevel;
  /** True when every step is reversible. */
  reversible: boolean;
  dataAtRisk: DataAtRisk[];
  totalRowsAtRisk: number;
  /** For `full-restore`: the verified backup at the target version, or null when there is none. */
  backup: BackupSummary | null;
  warnings: string[];
  /** What the plan was made against; a plan is refused when either changed before it runs. */
  migrationsFingerprint: string;
  historyFingerprint: string;
}

/** A backup as a plan shows it. */
export function summariseBackup(backup: BackupRecord): BackupSummary {
  const { id, path, kind, createdAt, version, milestone, sizeBytes, sha256 } = backup;
  return { id, path, kind, createdAt, version, milestone, sizeBytes, sha256, verified: backup.integrity.verified };
}

/**
 * Groups down steps (newest first) into milestone stages. A stage ends at the highest applied
 * version that remains after it, or at the plan's target.
 */
export function stagesOf(steps: RollbackStep[], applied: number[], targetVersion: number): RollbackStage[] {
  const stages: RollbackStage[] = [];
  let remaining = new Set(applied);
  let from = Math.max(0, ...applied);
  for (let i = 0; i < steps.length;) {
    const mvp = steps[i]!.mvp;
    const versions: number[] = [];
    while (i < steps.length && steps[i]!.mvp === mvp) versions.push(steps[i++]!.version);
    remaining = new Set([...remaining].filter((v) => !versions.includes(v)));
    const above = [...remaining].filter((v) => v > targetVersion);
    const to = above.length > 0 ? Math.max(...above) : targetVersion;
    stages.push({ mvp, fromVersion: from, toVersion: to, versions });
    from = to;
  }
  return stages;
}

/**
 * The risk of a plan: `critical` for a full restore without a verified backup, `high` for a full
 * restore, an irreversible or unanalysed step, or a staged rollback that drops data; `medium`
 * when data is at risk; `low` otherwise.
 */
export function riskLevelOf(plan: Pick<RollbackPlan, 'strategy' | 'steps' | 'backup' | 'totalRowsAtRisk' | 'stages'>): RiskLevel {
  if (plan.strategy === 'full-restore') return plan.backup ? 'high' : 'critical';
  if (plan.steps.some((s) => !s.reversible || s.analysis === 'none')) return 'high';
  if (plan.totalRowsAtRisk > 0 && plan.stages.length > 1) return 'high';
  if (plan.totalRowsAtRisk > 0 || plan.steps.some((s) => s.dataAtRisk.length > 0)) return 'medium';
  return 'low';
}
