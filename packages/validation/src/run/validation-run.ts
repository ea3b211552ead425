import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type IntegrityCheckLevel, type ReadSnapshot, type ServiceContext, takeReadSnapshot } from '@mfmig/core';
import { type CheckEnv, type ProbeTask, levelAtLeast, rowCounter } from '../checks/check-env.js';
import { dataProbes } from '../checks/data-check.js';
import { fragmentationProbe } from '../checks/fragmentation-check.js';
import { checkHistory } from '../checks/history-check.js';
import { integrityProbe } from '../checks/integrity-check.js';
import { foreignKeyProbes } from '../checks/referential-check.js';
import { rowRuleProbes } from '../checks/row-rules-check.js';
import { locateCorruptionProbes } from '../checks/integrity-check.js';
import { isCorruptionCode } from '../probe/probe.js';
import { ProbeRunner } from '../probe/probe-runner.js';
import { buildReport } from '../report/build-report.js';
import type { DatabaseStatistics, MilestoneCompliance, ValidationReport } from '../report/types.js';
import { introspectSchema } from '../schema/schema-model.js';
import { runCatalogChecks } from './catalog-checks.js';
import { RunRecorder } from './run-recorder.js';
import { type RunState, loadRunState } from './run-state.js';

/** How a run is tuned (from the service configuration). */
export interface RunSettings {
  level: IntegrityCheckLevel;
  timeoutMs: number;
  migrationsGiven: boolean;
  largeTableRows: number;
  inProcessMaxBytes: number;
  parallelism: number;
}

/** What distinguishes the validation methods. */
export interface RunOperation {
  operation: ValidationReport['operation'];
  /** Run the database checks of the level; false runs only the history and `extra` checks. */
  databaseChecks: boolean;
  /** Checks of this operation, run after the catalog checks. */
  extra?: (state: RunState, rec: RunRecorder, env: CheckEnv) => Promise<void> | void;
}

/**
 * One validation run: catalog introspection, then the probes of the level started in child
 * processes (integrity and foreign keys at once, declared-data probes once the milestone is
 * known), the catalog checks meanwhile, the operation's own checks, and the report. Reads
 * only: nothing is written to the database.
 *
 * A rollback-journal file as large as the one child processes check (`inProcessMaxBytes`) is
 * validated on a snapshot (`takeReadSnapshot`): there the scans would otherwise stop the
 * application's commits for as long as each runs (3 s at 1,000,000 KB entries).
 *
 * @example
 * const report = await runValidation(ctx, settings, { operation: 'comprehensive', databaseChecks: true });
 */
export async function runValidation(ctx: ServiceContext, settings: RunSettings, op: RunOperation): Promise<ValidationReport> {
  const snapshot = op.databaseChecks ? takeReadSnapshot(ctx.adapter, { minBytes: settings.inProcessMaxBytes }) : null;
  try {
    return await validate(ctx, snapshot, settings, op);
  } finally {
    snapshot?.release();
  }
}

async function validate(ctx: ServiceContext, snapshot: ReadSnapshot | null, settings: RunSettings, op: RunOperation): Promise<ValidationReport> {
  const startedAt = performance.now();
  const rec = new RunRecorder(startedAt + settings.timeoutMs);
  const db = (snapshot?.adapter ?? ctx.adapter).raw;
  let milestone: ValidationReport['milestone'] = { current: null, compliance: [] as MilestoneCompliance[] };
  let statistics: DatabaseStatistics | null = null;
  const finish = () => {
    rec.closeTimeouts(settings.timeoutMs);
    return buildReport({
      operation: op.operation,
      level: settings.level,
      database: ctx.adapter.filePath || ':memory:',
      startedAt,
      findings: rec.findings,
      checksRun: rec.checksRun,
      checksSkipped: rec.checksSkipped,
      milestone,
      statistics,
    });
  };
  const schema = await rec.attempt({ id: 'schema.catalog', kind: 'schema' }, () => introspectSchema(db));
  if (!schema) return finish();
  const env: CheckEnv = { db, level: settings.level, schema, requirements: null, largeTableRows: settings.largeTableRows, rowCount: rowCounter(db) };
  const tasks: ProbeTask[] = [];
  const runner = op.databaseChecks
    ? new ProbeRunner(db, { childFile: snapshot?.path ?? childFileFor(ctx, settings), parallelism: settings.parallelism, deadline: rec.deadline })
    : null;
  const submit = (more: ProbeTask[]) => {
    tasks.push(...more);
    runner?.submit(more.map((t) => t.probe));
  };
  if (runner) {
    const integrity = integrityProbe(env);
    submit([integrity]);
    if (integrity.probe.id === 'integrity.quick_check') {
      rec.skip(
        { id: 'integrity.integrity_check', kind: 'integrity' },
        'level',
        'index-vs-table and UNIQUE verification (integrity_check) runs at the comprehensive level; quick_check ran instead',
      );
    }
    const fk = foreignKeyProbes(env);
    submit(fk.tasks);
    for (const table of fk.notCheckable) {
      rec.skip(
        { id: 'referential.foreign_key_check', kind: 'referential', target: table },
        'not-applicable',
        'a foreign key of this table does not reference a key (FK_PARENT_KEY_INVALID), so SQLite refuses to check it',
      );
    }
  }
  const state = await loadRunState(ctx, settings.migrationsGiven, rec);
  env.requirements = state.requirements;
  milestone = { current: state.currentMvp, compliance: [] };
  if (runner) {
    if (levelAtLeast(settings.level, 'standard')) submit([...rowRuleProbes(env), ...dataProbes(env)]);
    else
      rec.skip(
        { id: 'data.declarations', kind: 'data' },
        'level',
        'CHECK constraints and the declared NULL, domain, uniqueness and reference checks run at the standard level and above',
      );
    const fragmentation = fragmentationProbe((f) => {
      if (statistics) statistics.fragmentation = f;
    });
    if (levelAtLeast(settings.level, 'comprehensive')) submit([fragmentation]);
    else
      rec.skip({ id: 'performance.fragmentation', kind: 'performance' }, 'level', 'page-level fragmentation (dbstat) is measured at the comprehensive level');
    const catalog = await runCatalogChecks(env, state, rec);
    milestone = { current: state.currentMvp, compliance: catalog.compliance };
    statistics = catalog.statistics;
  } else if (state.status) {
    await rec.guard({ id: 'history.status', kind: 'history' }, () => checkHistory(state.status!));
  }
  if (op.extra) await op.extra(state, rec, env);
  if (runner && (await collectProbes(runner, tasks, rec))) {
    const locating = new ProbeRunner(db, {
      childFile: snapshot?.path ?? childFileFor(ctx, settings),
      parallelism: settings.parallelism,
      deadline: rec.deadline,
    });
    await collectProbes(locating, submitLocating(env, locating), rec);
  }
  return finish();
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

/** When the whole-file check cannot even run, one quick_check per table tells which are damaged. */
function submitLocating(env: CheckEnv, runner: ProbeRunner): ProbeTask[] {
  const tasks = locateCorruptionProbes(env);
  runner.submit(tasks.map((t) => t.probe));
  return tasks;
}

/** The file probes can open in child processes, or null to run them in-process. */
function childFileFor(ctx: ServiceContext, settings: RunSettings): string | null {
  const raw = ctx.adapter.raw;
  if (raw.memory || !raw.name || raw.name.startsWith('file:') || raw.inTransaction) return null;
  const file = resolve(raw.name);
  if (!existsSync(file)) return null;
  try {
    return ctx.adapter.sizeBytes() >= settings.inProcessMaxBytes ? file : null;
  } catch {
    return file;
  }
}
