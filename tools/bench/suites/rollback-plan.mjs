// A rollback plan of a seeded knowledge base from MVP5 back to MVP2 (`createRollbackPlan`, what
// `mfmig rollback --plan-only` shows and every rollback makes first), beside the application
// writer, against the way it used to measure the downs, in the same run:
// - the plan: DialectMigrator, which dry-runs downs that switch foreign keys each with its own
//   setting on a VACUUM INTO copy of the file;
// - the baseline: the same downs dry-run by Migrator with the preservation plugin collecting
//   (what plans ran before): every down in one write transaction of the live file, foreign keys
//   off for all of them as soon as one asks.
// Reports the time ratio, each way's longest writer wait and failed writes, and how many downs
// each measured by running them; and, as a second baseline, the rollback the plan stands for,
// run on a copy of the file.
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
  const runs = { copy: [], transaction: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? ['copy', 'transaction'] : ['transaction', 'copy']) {
        runs[kind].push(await besideWriter(framework, Math.min(rows, 1000), kind === 'copy' ? planOf : oneTransactionOf));
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
  const copyMs = med('copy', (r) => r.ms);
  const txMs = med('transaction', (r) => r.ms);
  const copyWait = med('copy', (r) => r.writes.longestWait);
  const txWait = med('transaction', (r) => r.writes.longestWait);
  return {
    suite: 'rollback-plan',
    figures: [
      {
        label: 'plan MVP5 -> MVP2: DialectMigrator (copy) vs the downs dry-run in one transaction (Migrator)',
        value: copyMs,
        unit: 'ms',
        baseline: txMs,
        ratio: copyMs / txMs,
      },
      {
        label: 'plan MVP5 -> MVP2 (copy) vs the rollback it plans (backup, downs, archives)',
        value: copyMs,
        unit: 'ms',
        baseline: runs.rollback.ms,
        ratio: copyMs / runs.rollback.ms,
      },
      {
        label: 'longest writer wait during the plan: copy vs one transaction',
        value: copyWait,
        unit: 'ms',
        baseline: txWait,
        ratio: txWait > 0 ? copyWait / txWait : undefined,
      },
      { label: 'failed writes during the plan: copy', value: med('copy', (r) => r.writes.failed), unit: 'writes' },
      { label: 'failed writes during the plan: one transaction', value: med('transaction', (r) => r.writes.failed), unit: 'writes' },
      { label: 'downs measured by running them: copy', value: med('copy', (r) => r.probed), unit: `of ${runs.copy[0].steps}` },
      { label: 'downs measured by running them: one transaction', value: med('transaction', (r) => r.probed), unit: `of ${runs.transaction[0].steps}` },
      { label: 'rows measured at risk: copy', value: med('copy', (r) => r.rowsAtRisk), unit: 'rows' },
      { label: 'rows measured at risk: one transaction (downs it could run)', value: med('transaction', (r) => r.rowsAtRisk), unit: 'rows' },
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

/** The same downs dry-run as plans did before: Migrator, one transaction, the preservation plugin collecting each down's probe. */
async function oneTransactionOf(framework) {
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
