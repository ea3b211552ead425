import { basename } from 'node:path';
import { DialectMigrator, type MigrationSet, type MigrationTarget, type PostgresConnection, compareSchemaObjects } from '@mfmig/core';
import {
  type ReportData,
  diffLines,
  estimatePostgresPlan,
  planPostgresMigrations,
  measuredDowns,
  withRehearsedModules,
  renderReport,
  rollbackRuns,
  stepsOf,
  timelineOf,
} from '@mfmig/framework';
import { archiveHistory, listPgDumpBackups, pgDatabaseIdentity, planPostgresRollback } from '@mfmig/rollback';
import { assertReportPath, writeReportFile } from '../report-file.js';
import type { CliRuntime } from '../runtime.js';
import { pgBackupFolder } from './postgres-backup.js';
import { postgresParticipants } from '@mfmig/framework';
import { open } from './postgres-commands.js';
import { rehearsedObjects } from './postgres-diff.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { DEFAULT_SAMPLE_ROWS, rehearsed } from './postgres-plan-rehearsal.js';
import { rollbackPlanOptions } from './postgres-rollback-plan.js';
import { validatePostgresDatabase } from '@mfmig/validation';

/** How long the report's validation may take, as `validate`'s default. */
const VALIDATION_TIMEOUT_MS = 300_000;

/**
 * `mfmig --db postgres://... report [--out report.html] [--force]`: the same self-contained page
 * as on SQLite, from the schema's history and the metrics runs recorded (`mfmig_metrics`, when
 * the table exists), a plan to the latest milestone (estimated from those metrics, else rehearsed
 * on a sample, else priced by the model) or, at the latest, the rollback plan to the previous one, the schema diff since the
 * previous milestone (rehearsed), `validate`'s findings, the `pg_dump` backups and the rollbacks
 * the archive registry and the `down` metrics recorded. Writes nothing to the database.
 *
 * @example
 * await reportPostgres(cli, { out: './report.html', force: false });
 */
export async function reportPostgres(cli: CliRuntime, options: { out: string; force: boolean }): Promise<void> {
  const target = { database: cli.globals.db, force: options.force };
  assertReportPath(options.out, target);
  const conn = await open(cli, { createSchema: false });
  try {
    const data = await postgresReportData(cli, conn, await loadPostgresMigrations(cli, 'import'));
    const path = writeReportFile(options.out, renderReport(data), target);
    cli.out.result({ dialect: 'postgres', path, data }, () => {
      cli.out.line(`Report written to ${path}`);
      cli.out.line(
        `  ${data.steps.length} step(s) from ${data.stepsSource}, ${data.validation?.findings.length ?? 0} validation finding(s), ${data.backups.length} backup(s), ${data.rollbacks.length} rollback run(s)`,
      );
    });
  } finally {
    await conn.close();
  }
}

/**
 * The report's data for a PostgreSQL schema (see {@link reportPostgres}): the steps of the last
 * run that recorded metrics, else the history's durations, as `collectReportData` gives on SQLite.
 *
 * @example
 * const data = await postgresReportData(cli, conn, await loadPostgresMigrations(cli, 'import'));
 * [data.stepsSource, data.steps.length]; // ['metrics', 3]
 */
export async function postgresReportData(cli: CliRuntime, conn: PostgresConnection, migrations: MigrationSet): Promise<ReportData> {
  const status = await new DialectMigrator({ connection: conn, migrations }).status();
  const history = await conn.history.list();
  const metrics = await conn.metrics.list();
  const validation = await validatePostgresDatabase(conn, {
    migrations,
    timeoutMs: VALIDATION_TIMEOUT_MS,
    rehearsalUrl: cli.globals.db,
    participants: postgresParticipants({ preserve: false }),
  });
  const archives = await archiveHistory(conn, conn.schema);
  const identity = await pgDatabaseIdentity(conn, cli.globals.db, conn.schema);
  return {
    database: conn.target,
    generatedAt: new Date().toISOString(),
    currentVersion: status.currentVersion,
    currentMvp: status.currentMvp,
    latestMvp: status.latestMvp,
    timeline: timelineOf(migrations, history),
    ...stepsOf(metrics, history),
    plan: await planData(cli, conn, migrations, { currentMvp: status.currentMvp, latestMvp: status.latestMvp, pending: status.pending.length }),
    diff: await diffData(cli, conn, migrations, status.currentMvp, status.currentVersion),
    validation: {
      isValid: validation.isValid,
      overallHealth: validation.summary.overallHealth,
      migrationSafety: validation.summary.migrationSafety,
      findings: [...validation.errors, ...validation.warnings].map((f) => ({
        severity: f.severity,
        code: f.code,
        message: f.message,
        suggestion: f.suggestion,
      })),
    },
    backups: listPgDumpBackups(pgBackupFolder(cli), identity).map((b) => ({
      file: basename(b.path),
      kind: 'pg_dump',
      version: b.version,
      mvp: migrations.byVersion.get(b.version)?.mvp ?? null,
      createdAt: b.createdAt,
      sizeBytes: b.sizeBytes,
      verified: b.verified !== null,
    })),
    rollbacks: rollbackRuns(
      measuredDowns(metrics),
      archives.map((a) => ({ runId: a.runId, at: a.createdAt, version: a.version, rows: a.rows, table: a.sourceTable, restored: a.restored })),
    ),
  };
}

/** Up to the latest milestone (or version) when anything is pending; at the latest, the rollback plan to the previous milestone. */
async function planData(
  cli: CliRuntime,
  conn: PostgresConnection,
  migrations: MigrationSet,
  { currentMvp, latestMvp, pending }: { currentMvp: number; latestMvp: number; pending: number },
): Promise<ReportData['plan']> {
  if (pending > 0) {
    const target: MigrationTarget = migrations.milestones.length > 0 ? { mvp: latestMvp } : { latest: true };
    const rehearsal = await rehearsed(cli, conn, target, DEFAULT_SAMPLE_ROWS, { migrations });
    const analysed = await withRehearsedModules(conn, await planPostgresMigrations(conn, migrations, target), rehearsal);
    const { plan } = await estimatePostgresPlan(cli.globals.db, conn, migrations, analysed, rehearsal);
    return {
      title: 'mvp' in target ? `Plan up to the latest milestone, MVP${latestMvp}` : 'Plan up to the latest version',
      riskLevel: plan.riskLevel,
      estimatedMinutes: (plan.estimatedSeconds ?? 0) / 60,
      requiresDowntime: plan.blocksWrites.length > 0,
      reasons: [...plan.riskReasons, ...('failed' in rehearsal ? [`not rehearsed: ${rehearsal.failed}`] : [])],
      steps: plan.steps.map((s) => ({
        label: `${s.version}_${s.name} (up)`,
        riskLevel: s.riskLevel,
        rules: s.rules.map((r) => ({ rule: r.rule, severity: r.severity, explanation: r.explanation })),
      })),
    };
  }
  if (currentMvp === 0) return null;
  const down = await planPostgresRollback(cli.globals.db, conn, migrations, { mvp: currentMvp - 1 }, rollbackPlanOptions(cli, true));
  return {
    title: `Already at the latest milestone: rollback plan down to the previous milestone, MVP${currentMvp - 1}`,
    riskLevel: down.riskLevel,
    estimatedMinutes: (down.estimatedMs ?? 0) / 60_000,
    requiresDowntime: false,
    reasons: down.blocked ? [down.blocked] : down.totalRowsAtRisk > 0 ? [`${down.totalRowsAtRisk} row(s) archived in mfmig_archive`] : [],
    steps: down.steps.map((s) => ({
      label: `${s.version}_${s.name} (down)`,
      riskLevel: s.rowsAtRisk > 0 ? 'medium' : 'low',
      rules: s.losses.map((l) => ({
        rule: `drops-${l.kind}`,
        severity: 'medium',
        explanation: `${l.table}: ${l.rows} row(s) ${l.estimated ? '(estimated) ' : ''}archived`,
      })),
    })),
  };
}

/** The schema change since the previous milestone: both versions rehearsed in a scratch schema. */
async function diffData(
  cli: CliRuntime,
  conn: PostgresConnection,
  migrations: MigrationSet,
  currentMvp: number,
  currentVersion: number,
): Promise<ReportData['diff']> {
  if (currentVersion === 0) return null;
  const from = migrations.migrations.filter((m) => m.mvp < currentMvp).reduce((max, m) => Math.max(max, m.version), 0);
  try {
    const objects = await rehearsedObjects(cli, migrations, [from, currentVersion]);
    return { from, to: currentVersion, lines: diffLines(compareSchemaObjects(objects.get(from)!, objects.get(currentVersion)!)) };
  } catch {
    // migrations that cannot be rehearsed: the report goes without the diff
    return null;
  }
}
