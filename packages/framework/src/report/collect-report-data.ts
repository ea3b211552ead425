import { basename } from 'node:path';
import { type HistoryEntry, type MigrationSet, type StepMetric, migrationLabel } from '@mfmig/core';
import type { MigrationPlan } from '@mfmig/planner';
import type { MigrationFramework } from '../create-migration-framework.js';
import type { ReportData } from './report-data.js';

/** Options of {@link collectReportData}. */
export interface CollectReportOptions {
  /** Run the comprehensive validation (default true). */
  validate?: boolean;
}

type ReportFramework = Pick<MigrationFramework, 'context' | 'planner' | 'schemaEvolution' | 'validation' | 'rollbackManager'>;

/**
 * Gathers everything the HTML report shows from the database and the services: milestone
 * timeline (history), per-step durations and rows (metrics of the last measured run, else the
 * history), the plan to the latest milestone (or, at the latest, down to the previous one),
 * the schema diff since the previous milestone, the validation findings, the database's own
 * backups and rollbacks. Reads only.
 *
 * @example
 * const data = await collectReportData(framework);
 * writeFileSync('report.html', renderReport(data));
 */
export async function collectReportData(framework: ReportFramework, options: CollectReportOptions = {}): Promise<ReportData> {
  const { context } = framework;
  const conn = context.connection;
  const migrator = await context.migrator();
  const status = migrator.status();
  const set = migrator.migrations;
  const history = await conn.history.list();
  const metrics = await conn.metrics.list();
  const plan = status.hasMilestones
    ? await latestPlan(framework, status.currentMvp, status.latestMvp)
    : await planToLatestVersion(framework, status.pending.length);
  const report = options.validate === false ? null : await framework.validation.performComprehensiveValidation();
  return {
    database: conn.target,
    generatedAt: new Date().toISOString(),
    currentVersion: status.currentVersion,
    currentMvp: status.currentMvp,
    latestMvp: status.latestMvp,
    timeline: timelineOf(set, history),
    ...stepsOf(metrics, history),
    plan,
    diff: await diffOf(framework, set, status.currentMvp, status.currentVersion),
    validation: report && {
      isValid: report.isValid,
      overallHealth: report.summary.overallHealth,
      migrationSafety: report.summary.migrationSafety,
      findings: [...report.errors, ...report.warnings].map((f) => ({ severity: f.severity, code: f.code, message: f.message, suggestion: f.suggestion })),
    },
    backups: framework.rollbackManager.listBackups({ includeCheckpoints: true }).map((b) => ({
      file: basename(b.path),
      kind: b.kind,
      version: b.version,
      mvp: b.milestone,
      createdAt: b.createdAt,
      sizeBytes: b.sizeBytes,
      verified: b.integrity.verified,
    })),
    rollbacks: await rollbacksOf(framework, metrics),
  };
}

/** When each milestone was reached (its last migration applied), from the history. */
export function timelineOf(set: MigrationSet, history: HistoryEntry[]): ReportData['timeline'] {
  const applied = new Map(history.map((h) => [h.version, h]));
  return set.milestones.map((mvp) => {
    const own = set.migrations.filter((m) => m.mvp === mvp);
    const reached = own.every((m) => applied.get(m.version)?.status === 'applied');
    const times = own.map((m) => applied.get(m.version)?.appliedAt ?? '').sort();
    return { mvp, reachedAt: reached && own.length > 0 ? times.at(-1)! : null, migrations: own.length };
  });
}

/** The steps of the last measured run (`mfmig_metrics`), else the history's durations. */
export function stepsOf(metrics: StepMetric[], history: HistoryEntry[]): Pick<ReportData, 'steps' | 'stepsSource' | 'stepsRun'> {
  const last = metrics.at(-1);
  if (last) {
    const run = metrics.filter((m) => m.runId === last.runId);
    return {
      stepsSource: 'metrics',
      stepsRun: { runId: last.runId, recordedAt: last.recordedAt },
      steps: run.map((m) => ({
        label: m.step,
        version: m.version,
        kind: m.step.includes('#') ? 'transformation' : 'migration',
        direction: m.direction ?? 'up',
        durationMs: m.durationMs,
        rows: m.rows,
        rowsPerSecond: m.rowsPerSecond,
      })),
    };
  }
  if (history.length === 0) return { stepsSource: 'none', stepsRun: null, steps: [] };
  return {
    stepsSource: 'history',
    stepsRun: null,
    steps: history.map((h) => {
      const rows = h.rows ?? 0;
      return {
        label: migrationLabel(h),
        version: h.version,
        kind: 'migration',
        direction: 'up',
        durationMs: h.durationMs,
        rows,
        rowsPerSecond: h.durationMs > 0 ? (rows * 1000) / h.durationMs : 0,
      };
    }),
  };
}

/** A folder without milestones: the plan up to its latest version, when anything is pending. */
async function planToLatestVersion(framework: ReportFramework, pending: number): Promise<ReportData['plan']> {
  if (pending === 0) return null;
  return planData(await framework.planner.createPlan({ latest: true }), 'Plan up to the latest version (this migrations folder has no milestones)');
}

async function latestPlan(framework: ReportFramework, currentMvp: number, latestMvp: number): Promise<ReportData['plan']> {
  let plan: MigrationPlan;
  let title: string;
  if (currentMvp < latestMvp) {
    plan = await framework.planner.createComprehensiveMigrationPlan(latestMvp);
    title = `Plan up to the latest milestone, MVP${latestMvp}`;
  } else if (currentMvp > 0) {
    plan = await framework.planner.createComprehensiveMigrationPlan(currentMvp - 1);
    title = `Already at the latest milestone: rollback plan down to the previous milestone, MVP${currentMvp - 1}`;
  } else {
    return null;
  }
  return planData(plan, title);
}

function planData(plan: MigrationPlan, title: string): NonNullable<ReportData['plan']> {
  return {
    title,
    riskLevel: plan.riskLevel,
    estimatedMinutes: plan.estimatedDuration,
    requiresDowntime: plan.requiresDowntime,
    reasons: [...plan.riskReasons, ...plan.downtimeReasons],
    steps: plan.steps.map((s) => ({
      label: `${migrationLabel(s)} (${s.direction})`,
      riskLevel: s.riskLevel,
      rules: s.rules.map((r) => ({ rule: r.rule, severity: r.severity, explanation: r.explanation })),
    })),
  };
}

async function diffOf(framework: ReportFramework, set: MigrationSet, currentMvp: number, currentVersion: number): Promise<ReportData['diff']> {
  if (currentVersion === 0) return null;
  const from = set.migrations.filter((m) => m.mvp < currentMvp).reduce((max, m) => Math.max(max, m.version), 0);
  const diff = await framework.schemaEvolution.diff(from, currentVersion);
  return { from, to: currentVersion, lines: diffLines(diff.changes) };
}

/** Schema changes as the report's diff lines. */
export function diffLines(changes: readonly SchemaChangeLine[]): NonNullable<ReportData['diff']>['lines'] {
  return changes.map((c) => ({
    kind: c.kind.endsWith('-added') ? 'added' : c.kind.endsWith('-removed') ? 'removed' : 'changed',
    object: c.column ? `${c.object}.${c.column}` : c.object,
    detail: c.description,
    breaking: c.compatibility === 'breaking',
  }));
}

/** What a diff line is made from: a schema change of either dialect. */
interface SchemaChangeLine {
  kind: string;
  object: string;
  column?: string;
  description: string;
  compatibility: string;
}

/** Rollback runs: archives of dropped rows and `down` metrics, grouped by run id. */
async function rollbacksOf(framework: ReportFramework, metrics: StepMetric[]): Promise<ReportData['rollbacks']> {
  const downs = measuredDowns(metrics);
  const archives = (await framework.rollbackManager.listArchives()).map((a) => ({
    runId: a.runId ?? `archive-${a.id}`,
    at: a.createdAt,
    version: a.version,
    rows: a.rows,
    table: a.sourceTable,
    restored: a.status === 'restored',
  }));
  return rollbackRuns(downs, archives);
}

/**
 * The downs the metrics recorded (a row per reverted step or transformation), as
 * {@link rollbackRuns} takes them.
 *
 * @example
 * rollbackRuns(measuredDowns(await conn.metrics.list()), []);
 */
export function measuredDowns(metrics: readonly StepMetric[]): { runId: string; at: string; version: number }[] {
  return metrics.filter((m) => m.direction === 'down' && m.version !== null).map((m) => ({ runId: m.runId, at: m.recordedAt, version: m.version! }));
}

/**
 * Rollback runs, from the downs a run measured and the archives it wrote, grouped by run id,
 * oldest first.
 *
 * @example
 * rollbackRuns([], [{ runId: 'r1', at: '2026-01-01T00:00:00Z', version: 7, rows: 120, table: 'incidents', restored: false }]);
 */
export function rollbackRuns(
  downs: readonly { runId: string; at: string; version: number }[],
  archives: readonly { runId: string; at: string; version: number; rows: number; table: string; restored: boolean }[],
): ReportData['rollbacks'] {
  const runs = new Map<string, { at: string; versions: number[]; rows: number; tables: string[]; restored: number }>();
  const entry = (runId: string, at: string) => {
    const e = runs.get(runId) ?? { at, versions: [], rows: 0, tables: [], restored: 0 };
    if (at < e.at) e.at = at;
    runs.set(runId, e);
    return e;
  };
  for (const d of downs) entry(d.runId, d.at).versions.push(d.version);
  for (const a of archives) {
    const e = entry(a.runId, a.at);
    e.versions.push(a.version);
    e.rows += a.rows;
    e.tables.push(a.table);
    if (a.restored) e.restored++;
  }
  return [...runs.entries()]
    .map(([runId, e]) => ({
      runId,
      at: e.at,
      from: Math.max(...e.versions),
      to: Math.min(...e.versions) - 1,
      preservedRows: e.rows,
      detail:
        e.tables.length === 0
          ? 'no rows to archive'
          : `archived ${[...new Set(e.tables)].join(', ')}${e.restored ? `; ${e.restored} archive(s) restored by a later run` : ''}`,
    }))
    .sort((a, b) => a.at.localeCompare(b.at));
}
