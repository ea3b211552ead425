import { randomUUID } from 'node:crypto';
import { type DatabaseIdentity, MfmigError, type MigrationStatus, migrationLabel } from '@mfmig/core';
import { type LiveState, liveHistoryFingerprint, liveStatus } from '../live-state.js';
import type { ProbeResult } from '../analysis/data-loss-probe.js';
import { listBackups } from '../backup/backup-registry.js';
import { type DataAtRisk, type RollbackPlan, type RollbackStep, riskLevelOf, stagesOf, summariseBackup } from './rollback-plan.js';
import { type RollbackTarget, resolveRollbackTarget } from './rollback-target.js';
import { blockingReasons, fromLosses, irreversibleReasons, migrationsFingerprint, staticDataAtRisk } from './step-analysis.js';

/** What planning needs from the rollback manager. */
export interface PlanningEnvironment {
  /** The live database's connection and migrations. */
  live: LiveState;
  backupPath: string;
  /** The live database: a full restore only ever uses one of its own backups. */
  database: DatabaseIdentity;
  /** Dry-runs the downs to `version`, handing each down's probe (what it would drop, or its error) to `collect`. */
  rehearseDowns(version: number, collect: (version: number, finding: ProbeResult | Error) => void): Promise<{ error?: Error | undefined }>;
}

export type { RollbackTarget } from './rollback-target.js';

/**
 * Plans a rollback to `target`: the down steps newest first, whether each is reversible, the
 * data each drops (measured by running the downs in a transaction that is rolled back, or read
 * from their SQL when they cannot run), the risk, and the strategy. Nothing is changed.
 *
 * @example
 * const plan = await createRollbackPlan(env, { mvp: 2 });
 * plan.dataAtRisk.map((d) => `${d.table}: ${d.rows} rows`);
 */
export async function createRollbackPlan(env: PlanningEnvironment, target: RollbackTarget): Promise<RollbackPlan> {
  const { live } = env;
  const status = await liveStatus(live);
  const targetVersion = resolveRollbackTarget(live.migrations, status, target);
  if (targetVersion > status.currentVersion) {
    throw new MfmigError(
      'USAGE',
      `Target version ${targetVersion} is above the current version ${status.currentVersion}; a rollback goes down (use \`mfmig migrate\` to go up)`,
    );
  }
  const applied = status.applied.map((a) => a.version);
  const versions = applied.filter((v) => v > targetVersion).sort((a, b) => b - a);
  const set = live.migrations;
  const findings = new Map<number, ProbeResult | Error>();
  const runnable = versions.every((v) => blockingReasons(set.byVersion.get(v)).length === 0);
  let dryRunError: Error | undefined;
  if (runnable && versions.length > 0) {
    const result = await env.rehearseDowns(targetVersion, (version, finding) => findings.set(version, finding));
    dryRunError = result.error;
  }
  const steps: RollbackStep[] = [];
  for (const version of versions) {
    const m = set.byVersion.get(version);
    const finding = findings.get(version);
    const base = {
      version,
      name: m?.name ?? status.applied.find((a) => a.version === version)?.name ?? `version ${version}`,
      mvp: m?.mvp ?? status.applied.find((a) => a.version === version)?.mvp ?? 0,
      description: m?.description ?? '',
      hasDown: Boolean(m?.down),
      reversible: irreversibleReasons(m).length === 0,
      irreversibleReasons: irreversibleReasons(m),
    };
    const error = finding instanceof Error ? finding.message : (dryRunError?.message ?? null);
    if (m && finding && !(finding instanceof Error)) {
      steps.push({ ...base, dataAtRisk: fromLosses(m, finding.losses), analysis: 'probe' as const, analysisError: null });
    } else if (m && (m.downSql !== undefined || m.transformations.length > 0)) {
      const dataAtRisk = await staticDataAtRisk(live.connection, m);
      steps.push({ ...base, dataAtRisk, analysis: 'static' as const, analysisError: error });
    } else {
      steps.push({ ...base, dataAtRisk: [], analysis: 'none' as const, analysisError: error ?? (m ? null : 'migration file missing') });
    }
  }
  return assemblePlan(env, { steps, applied, targetVersion, status, runnable, fingerprint: await liveHistoryFingerprint(live) });
}

function assemblePlan(
  env: PlanningEnvironment,
  input: { steps: RollbackStep[]; applied: number[]; targetVersion: number; status: MigrationStatus; runnable: boolean; fingerprint: string },
): RollbackPlan {
  const { steps, applied, targetVersion, status } = input;
  const { migrations } = env.live;
  const stages = stagesOf(steps, applied, targetVersion);
  const strategy = !input.runnable ? 'full-restore' : stages.length > 1 ? 'staged' : 'single-milestone';
  const keep = applied
    .filter((v) => v <= targetVersion)
    .sort((a, b) => a - b)
    .join(',');
  const candidates = listBackups(env.backupPath, { includeCheckpoints: true, database: env.database }).filter(
    (b) => b.version === targetVersion && b.integrity.verified && [...b.appliedVersions].sort((x, y) => x - y).join(',') === keep,
  );
  const backup = candidates.at(-1);
  const dataAtRisk: DataAtRisk[] = steps.flatMap((s) => s.dataAtRisk);
  const warnings: string[] = [];
  for (const s of steps) {
    for (const reason of s.irreversibleReasons) warnings.push(`${migrationLabel(s)}: ${reason}`);
    if (s.analysisError)
      warnings.push(
        `${migrationLabel(s)}: its down could not be probed (${s.analysisError}); data at risk is ${s.analysis === 'static' ? 'estimated from its SQL' : 'unknown'}`,
      );
  }
  if (strategy === 'full-restore' && !backup) warnings.push(`No verified backup at version ${targetVersion} exists: the rollback cannot be carried out`);
  const partial = {
    strategy,
    steps,
    backup: backup ? summariseBackup(backup) : null,
    totalRowsAtRisk: dataAtRisk.reduce((n, d) => n + d.rows, 0),
    stages,
  } as const;
  const targetMvp =
    migrations.milestones.filter((mvp) => migrations.migrations.filter((m) => m.mvp === mvp).every((m) => m.version <= targetVersion)).at(-1) ?? 0;
  return {
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    database: env.live.connection.target,
    fromVersion: status.currentVersion,
    fromMvp: status.currentMvp,
    targetVersion,
    targetMvp,
    ...partial,
    riskLevel: riskLevelOf(partial),
    reversible: steps.every((s) => s.reversible),
    dataAtRisk,
    warnings,
    migrationsFingerprint: migrationsFingerprint(migrations),
    historyFingerprint: input.fingerprint,
  };
}
