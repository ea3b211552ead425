import {
  type DialectParticipant,
  type DownTarget,
  DialectMigrator,
  type MigrationSet,
  type PostgresConnection,
  type StepMetric,
  downTargetVersion,
  liveRows,
  metricsSeconds,
  rehearse,
} from '@mfmig/core';
import { ARCHIVE_SCHEMA, discardArchives, dropArchiveSchemaIfUnused } from './archive-schema.js';
import { createConnectionPreservation } from './connection-preservation.js';

/** Options of {@link planPostgresRollback}. */
export interface PostgresRollbackPlanOptions {
  /** Rows per live table copied into the rehearsal's scratch schema. */
  sampleRows: number;
  /** Whether the rollback will archive what its downs drop (`mfmig_archive`); sets `preserved` and the risk level. */
  preserve: boolean;
  /** The run's participants before preservation (the transformer's, so that downs that reverse declared data moves run as they will). */
  participants?: readonly DialectParticipant[];
  /** Stops the rehearsal between two downs; the scratch schema is dropped all the same. */
  signal?: AbortSignal;
}

/** What one down would take away, read from its rehearsal on the sample and scaled to the live table. */
export interface PlannedLoss {
  table: string;
  /** `table` (dropped), `columns` (dropped columns) or `rows` (rows deleted or changed). */
  kind: string;
  columns: string[];
  /** Rows it took on the sample. */
  sampleRows: number;
  /** Live rows at risk: exact when the whole table was sampled, else scaled by live over sampled rows. */
  rows: number;
  estimated: boolean;
}

/** One down of the plan. */
export interface PlannedDown {
  version: number;
  name: string;
  mvp: number;
  hasDown: boolean;
  losses: PlannedLoss[];
  rowsAtRisk: number;
  /** How long it took on the sample. */
  sampleMs: number | null;
  /**
   * The estimate: an earlier run's metrics of this down (scaled by the rows it will process over
   * the rows that run counted), else the sample's time scaled by the largest live/sampled ratio of
   * the tables it changed.
   */
  estimatedMs: number | null;
  /** Where `estimatedMs` comes from; null when there is none. */
  estimateSource: 'metrics' | 'rehearsal' | null;
}

/** What `rollback --plan-only` shows on PostgreSQL. */
export interface PostgresRollbackPlan {
  fromVersion: number;
  targetVersion: number;
  steps: PlannedDown[];
  totalRowsAtRisk: number;
  estimatedMs: number | null;
  /** True when the rows at risk are archived (`mfmig_archive`) and put back by a later `migrate`. */
  preserved: boolean;
  riskLevel: 'low' | 'medium' | 'high' | 'critical';
  /** Why the rollback cannot run (a step without a down), or why its rehearsal failed. */
  blocked: string | null;
  /** Rows copied per table into the rehearsal. */
  sampled: { table: string; rows: number; liveRows: number }[];
}

/**
 * Plans a rollback without touching the live schema: the downs are checked for a down section,
 * then run on a sample of the live rows in a scratch schema (see `rehearse`) with rollback
 * preservation on, which reports what each down drops, deletes or changes; those rows are scaled
 * to the live tables. The archives the rehearsal wrote are discarded and the scratch schema is
 * dropped. A down that fails in the rehearsal makes the plan blocked. Each down's duration comes
 * from the metrics of an earlier run of it (`mfmig_metrics`, its most recent `down` row) when there
 * is one, else from its time on the sample, as the up plan's steps do.
 *
 * @example
 * const plan = await planPostgresRollback(url, conn, migrations, { steps: 1 }, { sampleRows: 10_000, preserve: true });
 * plan.totalRowsAtRisk; plan.steps.map((s) => s.losses);
 */
export async function planPostgresRollback(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  target: DownTarget,
  options: PostgresRollbackPlanOptions,
): Promise<PostgresRollbackPlan> {
  const status = await new DialectMigrator({ connection: conn, migrations }).status();
  const targetVersion = downTargetVersion(migrations, status, target);
  const steps: PlannedDown[] = status.applied
    .filter((a) => a.version > targetVersion)
    .sort((a, b) => b.version - a.version)
    .map((a) => {
      const m = migrations.byVersion.get(a.version);
      return {
        version: a.version,
        name: a.name,
        mvp: a.mvp,
        hasDown: Boolean(m?.down) && !m?.irreversible,
        losses: [],
        rowsAtRisk: 0,
        sampleMs: null,
        estimatedMs: null,
        estimateSource: null,
      };
    });
  const plan: PostgresRollbackPlan = {
    fromVersion: status.currentVersion,
    targetVersion,
    steps,
    totalRowsAtRisk: 0,
    estimatedMs: null,
    preserved: options.preserve,
    riskLevel: 'low',
    blocked: null,
    sampled: [],
  };
  const missing = steps.find((s) => !s.hasDown);
  if (missing) {
    plan.blocked = `version ${missing.version} (${missing.name}) has no down migration; it cannot be reverted (restore a backup instead)`;
    plan.riskLevel = 'critical';
    return plan;
  }
  if (steps.length === 0) return plan;
  try {
    await rehearseDowns(url, conn, migrations, target, plan, options, await conn.metrics.list());
  } catch (error) {
    plan.blocked = `the rehearsal of the downs failed: ${(error as Error)?.message ?? String(error)}`;
    plan.riskLevel = 'critical';
    return plan;
  }
  plan.totalRowsAtRisk = steps.reduce((n, s) => n + s.rowsAtRisk, 0);
  plan.estimatedMs = steps.reduce((n, s) => n + (s.estimatedMs ?? 0), 0);
  plan.riskLevel = plan.totalRowsAtRisk === 0 ? 'low' : options.preserve ? 'medium' : 'high';
  return plan;
}

async function rehearseDowns(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  target: DownTarget,
  plan: PostgresRollbackPlan,
  options: PostgresRollbackPlanOptions,
  metrics: readonly StepMetric[],
): Promise<void> {
  const { sampleRows, signal } = options;
  const timed = new Map<number, number>();
  const counted = new Map<number, number>();
  const [archive] = await conn.query<{ ok: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS ok', [ARCHIVE_SCHEMA]);
  // the rehearsal's preservation makes the archive schema when missing: the plan must not leave it behind
  // preservation on in the rehearsal, whatever the rollback will do: its reports are what each down takes away
  const rehearsal = await rehearse(url, migrations, {
    toVersion: plan.fromVersion,
    participants: [...(options.participants ?? []), createConnectionPreservation({ enabled: true })],
    sample: { fromSchema: conn.schema, rows: sampleRows },
    signal,
    work: async (scratch, migrator) => {
      migrator.events.on('migrationCompleted', (e) => timed.set(e.version, e.durationMs));
      try {
        const run = await migrator.rollback(target, { signal, command: 'mfmig rollback plan rehearsal' });
        if (run.error) throw run.error;
        for (const r of run.results) counted.set(r.version, r.rows);
        return run.reports;
      } finally {
        // the archives the rehearsal wrote belong to the scratch schema, which is about to go
        await discardArchives(scratch, scratch.schema);
        if (!archive?.ok) await dropArchiveSchemaIfUnused(scratch);
      }
    },
  });
  const sampled = new Map(rehearsal.sampled.map((s) => [s.table, s.rows]));
  const live = new Map<string, number>();
  const liveOf = async (table: string) => {
    if (!live.has(table)) live.set(table, await liveRows(conn, table));
    return live.get(table)!;
  };
  for (const [table, rows] of sampled) plan.sampled.push({ table, rows, liveRows: rows > 0 ? await liveOf(table) : 0 });
  for (const step of plan.steps) {
    let scale = 1;
    for (const r of (rehearsal.value ?? []).filter((x) => x.kind === 'preserved' && x.version === step.version)) {
      const table = String(r.table);
      const inSample = sampled.get(table) ?? 0;
      const liveCount = inSample > 0 ? await liveOf(table) : 0;
      // a table the sample held whole is exact; otherwise the share it lost, applied to the live rows
      const whole = inSample < sampleRows;
      const rows = r.lossKind === 'rows' && !whole ? Math.round((r.rows / inSample) * liveCount) : whole ? r.rows : liveCount;
      if (inSample > 0) scale = Math.max(scale, liveCount / inSample);
      step.losses.push({ table, kind: String(r.lossKind), columns: (r.columns as string[] | undefined) ?? [], sampleRows: r.rows, rows, estimated: !whole });
    }
    step.rowsAtRisk = step.losses.reduce((n, l) => n + l.rows, 0);
    step.sampleMs = timed.get(step.version) ?? null;
    // as for an up: a recorded run of this down first (scaled by rows when both counted some), then the rehearsal
    const measured = metricsSeconds(metrics, { version: step.version, direction: 'down', rows: Math.round((counted.get(step.version) ?? 0) * scale) });
    if (measured !== undefined) Object.assign(step, { estimatedMs: measured * 1000, estimateSource: 'metrics' });
    else if (step.sampleMs !== null) Object.assign(step, { estimatedMs: step.sampleMs * scale, estimateSource: 'rehearsal' });
  }
}
