// A rollback plan of a seeded knowledge base from MVP5 back to MVP2 (`createRollbackPlan`, what
// `mfmig rollback --plan-only` shows and every rollback makes first), beside the application
// writer, in the same run as its baselines:
// - the plan: DialectMigrator, which dry-runs downs that switch foreign keys each with its own
//   setting on a copy of the file (copied with no lock, made consistent under a short read lock);
// - the copy plans made before: one VACUUM INTO of the live file, beside the same writer (its
//   read lock stops every commit of a rollback-journal database while it runs);
// - the plugin form: the same downs dry-run by Migrator with the preservation plugin collecting;
// - the rollback the plan stands for, run on a copy of the file.
// Reports the time ratios, the writer's longest wait and failed writes, and how many downs each
// form measured by running them.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator } from '../../../packages/core/dist/index.js';
import { createMigrationFramework } from '../../../packages/framework/dist/index.js';
import { createPreservationPlugin } from '../../../packages/rollback/dist/index.js';
import { createTransformerPlugin } from '../../../packages/transformer/dist/index.js';
import { MIGRATIONS, seedKnowledgeBaseFile } from '../lib/kb-seed.mjs';
import { summarize } from '../lib/timeline.mjs';
import { startWriter } from '../lib/writer-process.mjs';

const ROUNDS = 3;
const INTERVAL_MS = 20;

export async function run({ rows, tmpDir, log }) {
  const db = join(tmpDir, 'kb.db');
  const seedStart = performance.now();
  await seedKnowledgeBaseFile(db, rows, { version: 17, scratchDir: tmpDir });
  log(`seeded ${rows.toLocaleString('en-US')} KB entries and migrated to MVP5 in ${sec(performance.now() - seedStart)}`);
  const framework = createMigrationFramework({ database: db, migrationsPath: MIGRATIONS, backupPath: join(tmpDir, 'backups') }, { backupBeforeRun: false });
  const runs = { plan: [], plugin: [], vacuum: [] };
  const kinds = { plan: planOf, plugin: pluginPlanOf, vacuum: (fw) => vacuumCopyOf(fw, tmpDir) };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.keys(kinds);
      for (const kind of round % 2 === 0 ? order : order.reverse()) {
        runs[kind].push(await besideWriter(framework, Math.min(rows, 1000), kinds[kind]));
        const r = runs[kind].at(-1);
        log(
          `round ${round + 1} ${kind}: ${sec(r.ms)}, ${r.probed}/${r.steps} downs measured, ${r.rowsAtRisk.toLocaleString('en-US')} rows measured; writer: ${r.writes.attempted} writes, ${r.writes.failed} failed, longest wait ${Math.round(r.writes.longestWait)} ms`,
        );
      }
    }
    // what the plan stands for: the rollback itself (pre-rollback backup, the downs with their archives), on a copy of the file
    const copy = join(tmpDir, 'rollback.db');
    framework.context.adapter.prepare('VACUUM INTO ?').run(copy);
    runs.rollback = await rollbackOf(copy, tmpDir);
    log(`the rollback itself: ${sec(runs.rollback.ms)}, ${runs.rollback.preserved.toLocaleString('en-US')} rows archived`);
  } finally {
    framework.close();
  }
  const med = (kind, pick) => median(runs[kind].map(pick));
  const planMs = med('plan', (r) => r.ms);
  const pluginMs = med('plugin', (r) => r.ms);
  const planWait = med('plan', (r) => r.writes.longestWait);
  const vacuumWait = med('vacuum', (r) => r.writes.longestWait);
  const steps = runs.plan[0].steps;
  return {
    suite: 'rollback-plan',
    figures: [
      {
        label: 'plan MVP5 -> MVP2 vs the rollback it plans (backup, downs, archives)',
        value: planMs,
        unit: 'ms',
        baseline: runs.rollback.ms,
        ratio: planMs / runs.rollback.ms,
      },
      {
        label: 'longest writer wait: the plan vs one VACUUM INTO of the file (the copy plans made before)',
        value: planWait,
        unit: 'ms',
        baseline: vacuumWait,
        ratio: vacuumWait > 0 ? planWait / vacuumWait : undefined,
      },
      {
        label: 'the plugin form (Migrator, preservation plugin collecting) vs the plan',
        value: pluginMs,
        unit: 'ms',
        baseline: planMs,
        ratio: pluginMs / planMs,
      },
      { label: 'one VACUUM INTO of the file', value: med('vacuum', (r) => r.ms), unit: 'ms' },
      { label: 'failed writes during the plan', value: med('plan', (r) => r.writes.failed), unit: 'writes' },
      { label: 'failed writes during the plugin form', value: med('plugin', (r) => r.writes.failed), unit: 'writes' },
      { label: 'downs measured by running them: the plan', value: med('plan', (r) => r.probed), unit: `of ${steps}` },
      { label: 'downs measured by running them: the plugin form', value: med('plugin', (r) => r.probed), unit: `of ${steps}` },
      { label: 'rows measured at risk: the plan', value: med('plan', (r) => r.rowsAtRisk), unit: 'rows' },
      { label: 'rows measured at risk: the plugin form', value: med('plugin', (r) => r.rowsAtRisk), unit: 'rows' },
      { label: 'rows the rollback archived', value: runs.rollback.preserved, unit: 'rows' },
    ],
    notes: [
      `median of ${ROUNDS} rounds, order alternated; ${rows.toLocaleString('en-US')} KB entries migrated to MVP5`,
      `writer: one INSERT into kb_feedback every ${INTERVAL_MS} ms, busy_timeout 5000, in its own process`,
    ],
  };
}

/** `measure(framework)` with the application writer beside it: its time, what it measured, the writer's waits. */
async function besideWriter(framework, maxId, measure) {
  const writer = await startWriter(framework.context.adapter.filePath, maxId, INTERVAL_MS);
  const from = performance.timeOrigin + performance.now();
  const start = performance.now();
  let measured;
  try {
    measured = await measure(framework);
  } finally {
    writer.stop();
  }
  const ms = performance.now() - start;
  return { ms, ...measured, writes: summarize(await writer.records, from, from + ms, INTERVAL_MS) };
}

/** The framework's plan to MVP2. */
async function planOf(framework) {
  const plan = await framework.rollbackManager.createRollbackPlan({ mvp: 2 });
  const probed = plan.steps.filter((s) => s.analysis === 'probe');
  const versions = new Set(probed.map((s) => s.version));
  const rowsAtRisk = plan.dataAtRisk.filter((d) => versions.has(d.version)).reduce((n, d) => n + d.rows, 0);
  return { steps: plan.steps.length, probed: probed.length, rowsAtRisk };
}

/** The same downs dry-run by a user's own Migrator with the preservation plugin collecting each down's probe. */
async function pluginPlanOf(framework) {
  const findings = new Map();
  const collect = (version, finding) => findings.set(version, finding);
  const migrator = new Migrator({
    adapter: framework.context.adapter,
    migrations: await framework.context.loadMigrations(),
    plugins: [createPreservationPlugin({ collector: () => collect }), createTransformerPlugin()],
  });
  const target = migrator.resolveTarget({ mvp: 2 });
  const steps = migrator.status().applied.filter((a) => a.version > target).length;
  await migrator.rollback({ version: target }, { dryRun: true });
  const probes = [...findings.values()].filter((f) => !(f instanceof Error));
  return { steps, probed: probes.length, rowsAtRisk: probes.flatMap((p) => p.losses).reduce((n, l) => n + l.rows, 0) };
}

/** One VACUUM INTO of the live file, the copy plans made before; the copy is removed. */
async function vacuumCopyOf(framework, tmpDir) {
  const path = join(tmpDir, `vacuum-${process.pid}-${performance.now().toFixed(0)}.db`);
  framework.context.adapter.prepare('VACUUM INTO ?').run(path);
  rmSync(path, { force: true });
  return { steps: 0, probed: 0, rowsAtRisk: 0 };
}

/** The rollback to MVP2 of the database at `file`: plan, pre-rollback backup and the downs, with preservation. */
async function rollbackOf(file, tmpDir) {
  const framework = createMigrationFramework(
    { database: file, migrationsPath: MIGRATIONS, backupPath: join(tmpDir, 'rollback-backups') },
    { backupBeforeRun: false },
  );
  try {
    const plan = await framework.rollbackManager.createRollbackPlan({ mvp: 2 });
    const start = performance.now();
    const result = await framework.rollbackManager.executeRollbackPlan(plan);
    if (!result.success) throw new Error(`the rollback failed: ${result.error?.message}`);
    return { ms: performance.now() - start, preserved: result.preserved.reduce((n, p) => n + p.rows, 0) };
  } finally {
    framework.close();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function sec(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}
