import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IntegrityCheckLevel, ServiceContext, SqliteReadSnapshot } from '@mfmig/core';
import { type CheckEnv, type ProbeTask, rowCounter } from '../checks/check-env.js';
import { SCHEMA_CATALOG } from '../checks/entries/schema-entries.js';
import { type ProbeContext, type RunOutputs, checkIdOf } from '../checks/validation-check.js';
import { isCorruptionCode } from '../probe/probe.js';
import { ProbeRunner } from '../probe/probe-runner.js';
import { buildReport } from '../report/build-report.js';
import type { ValidationReport } from '../report/types.js';
import { readSchemaModel } from '../schema/schema-model.js';
import { runCatalogChecks } from './catalog-checks.js';
import { submitProbeStage } from './probe-stages.js';
import type { RunOperation } from './run-operation.js';
import { RunRecorder } from './run-recorder.js';
import { loadRunState } from './run-state.js';

/** How a run is tuned (from the service configuration). */
export interface RunSettings {
  level: IntegrityCheckLevel;
  timeoutMs: number;
  migrationsGiven: boolean;
  largeTableRows: number;
  inProcessMaxBytes: number;
  parallelism: number;
}

/**
 * One validation run: catalog introspection, then the probes of the level started in child
 * processes (integrity and foreign keys at once, declared-data probes once the milestone is
 * known), the catalog checks meanwhile, the operation's own checks, and the report. Which
 * checks run at each stage comes from the check registry (checks/registry.ts). Reads only:
 * nothing is written to the database.
 *
 * A rollback-journal file as large as the one child processes check (`inProcessMaxBytes`) is
 * validated on a snapshot (`SqliteConnection.readSnapshot`): there the scans would otherwise stop the
 * application's commits for as long as each runs (3 s at 1,000,000 KB entries).
 *
 * @example
 * const report = await runValidation(ctx, settings, { operation: 'comprehensive', databaseChecks: true });
 */
export async function runValidation(ctx: ServiceContext, settings: RunSettings, op: RunOperation): Promise<ValidationReport> {
  const snapshot = op.databaseChecks ? await ctx.connection.readSnapshot({ minBytes: settings.inProcessMaxBytes }) : null;
  try {
    return await validate(ctx, snapshot, settings, op);
  } finally {
    snapshot?.release();
  }
}

async function validate(ctx: ServiceContext, snapshot: SqliteReadSnapshot | null, settings: RunSettings, op: RunOperation): Promise<ValidationReport> {
  const startedAt = performance.now();
  const rec = new RunRecorder(startedAt + settings.timeoutMs);
  const db = snapshot?.connection ?? ctx.connection;
  let current: number | null = null;
  const out: RunOutputs = { compliance: [], statistics: null };
  const finish = () => {
    rec.closeTimeouts(settings.timeoutMs);
    return buildReport({
      operation: op.operation,
      level: settings.level,
      database: ctx.connection.target || ':memory:',
      startedAt,
      findings: rec.findings,
      checksRun: rec.checksRun,
      checksSkipped: rec.checksSkipped,
      milestone: { current, compliance: out.compliance },
      statistics: out.statistics,
    });
  };
  const schema = await rec.attempt(checkIdOf(SCHEMA_CATALOG), () => readSchemaModel(db));
  if (!schema) return finish();
  const env: CheckEnv = { db, level: settings.level, schema, requirements: null, largeTableRows: settings.largeTableRows, rowCount: rowCounter(db) };
  const probes: ProbeContext = { env, rec, out };
  const tasks: ProbeTask[] = [];
  const runner = op.databaseChecks ? await newRunner(ctx, snapshot, settings, rec) : null;
  const submit = (more: ProbeTask[]) => {
    tasks.push(...more);
    runner?.submit(more.map((t) => t.probe));
  };
  if (runner) submitProbeStage('schema', probes, submit);
  const state = await loadRunState(ctx, settings.migrationsGiven, rec);
  env.requirements = state.requirements;
  current = state.currentMvp;
  if (runner) submitProbeStage('milestone', probes, submit);
  await runCatalogChecks({ env, state, rec, op, out });
  if (runner && (await collectProbes(runner, tasks, rec))) {
    const locating = await newRunner(ctx, snapshot, settings, rec);
    const followUp: ProbeTask[] = [];
    submitProbeStage('unreadable', probes, (more) => {
      followUp.push(...more);
      locating.submit(more.map((t) => t.probe));
    });
    await collectProbes(locating, followUp, rec);
  }
  return finish();
}

/** A probe runner for the run: child processes start at once when the file is large enough. */
async function newRunner(ctx: ServiceContext, snapshot: SqliteReadSnapshot | null, settings: RunSettings, rec: RunRecorder): Promise<ProbeRunner> {
  return new ProbeRunner(snapshot?.connection ?? ctx.connection, {
    childFile: snapshot?.path ?? (await childFileFor(ctx, settings)),
    parallelism: settings.parallelism,
    deadline: rec.deadline,
  });
}

/** Runs and interprets the probes; true when the integrity probe found the file unreadable. */
async function collectProbes(runner: ProbeRunner, tasks: ProbeTask[], rec: RunRecorder): Promise<boolean> {
  let unreadable = false;
  const execution = await runner.wait();
  const byId = new Map(tasks.map((t) => [t.probe.id, t]));
  for (const task of tasks) {
    const result = execution.results.get(task.probe.id);
    if (!result) continue;
    if (result.error) {
      rec.failed(task.check, result.error);
      for (const other of (task.covers ?? []).slice(1)) rec.skip(other, isCorruptionCode(result.error.code) ? 'corrupt' : 'error', result.error.message);
      unreadable ||= task.check.kind === 'integrity' && isCorruptionCode(result.error.code);
    } else {
      rec.add(task.interpret(result));
      for (const check of task.covers ?? [task.check]) rec.ran(check, result.durationMs);
    }
  }
  for (const unrun of execution.unrun) {
    const task = byId.get(unrun.probe.id)!;
    if (unrun.reason === 'timeout') for (const check of task.covers ?? [task.check]) rec.skip(check, 'timeout', unrun.message);
    else {
      rec.failed(task.check, { code: 'PROBE_FAILED', message: unrun.message });
      for (const other of (task.covers ?? []).slice(1)) rec.skip(other, 'error', unrun.message);
    }
  }
  return unreadable;
}

/** The file probes can open in child processes, or null to run them in-process. */
async function childFileFor(ctx: ServiceContext, settings: RunSettings): Promise<string | null> {
  const conn = ctx.connection;
  if (conn.isMemory || !conn.target || conn.target.startsWith('file:') || conn.inTransaction) return null;
  const file = resolve(conn.target);
  if (!existsSync(file)) return null;
  try {
    const { pageSize, pageCount } = await conn.introspector.storage();
    return pageSize * pageCount >= settings.inProcessMaxBytes ? file : null;
  } catch {
    return file;
  }
}
