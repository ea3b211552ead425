// Estimate accuracy of @mfmig/planner: plan MVP1 -> MVP5 on seeded knowledge bases of 10k, 100k
// and `rows` KB entries, then run the plan for real (core Migrator with the transformer and
// schema-history plugins) and compare the estimated duration with the measured one, per step
// and in total. Target: the total within +-35% of the actual at every size.
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator, SqliteConnection, createServiceContext, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';
import { MigrationPlanner } from '../../../packages/planner/dist/index.js';
import { SchemaEvolution } from '../../../packages/schema-evolution/dist/index.js';
import { createTransformerPlugin } from '../../../packages/transformer/dist/index.js';
import { estimateFigure } from '../lib/estimate-figure.mjs';

const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;
/** Runs shorter than this are repeated (on fresh copies of the seeded file) and their median is the actual duration. */
const REPEAT_BELOW_SECONDS = 30;
const REPEATS = 5;

export async function run({ rows, tmpDir, log }) {
  const sizes = [...new Set([10_000, 100_000, rows])].filter((n) => n <= Math.max(rows, 10_000)).sort((a, b) => a - b);
  const figures = [];
  const notes = [];
  for (const size of sizes) {
    const file = join(tmpDir, `kb-${size}.db`);
    const seedStart = performance.now();
    await seed(file, size);
    log(`seeded ${size.toLocaleString('en-US')} KB entries in ${seconds(performance.now() - seedStart)}`);
    const runs = [await planAndRun(file, tmpDir)];
    while (runs.length < REPEATS && runs[0].seconds < REPEAT_BELOW_SECONDS) runs.push(await planAndRun(file, tmpDir));
    const first = runs[0].plan;
    log(
      `planned in ${seconds(runs[0].planMs)} (${first.estimation.method}, samples ${first.estimation.sampleRows.join('/')} rows): risk ${first.riskLevel}, downtime ${first.requiresDowntime ? 'yes' : 'no'}`,
    );
    const estimated = median(runs.map((r) => r.plan.estimatedSeconds));
    const actual = median(runs.map((r) => r.seconds));
    const planMs = median(runs.map((r) => r.planMs));
    log(
      `  ${'step'.padEnd(36)} ${'estimated'.padStart(10)} ${'actual'.padStart(10)}${runs.length > 1 ? `  (medians of ${runs.length} plan-and-run rounds)` : ''}`,
    );
    for (const item of runs[0].steps) {
      const of = (r) => r.steps.find((s) => s.version === item.version);
      const stepEstimate = median(runs.map((r) => r.plan.steps.find((s) => s.version === item.version)?.estimatedSeconds ?? 0));
      log(`  ${`${item.version} ${item.name}`.padEnd(36)} ${fixed(stepEstimate)} ${fixed(median(runs.map((r) => of(r)?.seconds ?? 0)))}`);
    }
    const ratio = estimated / actual;
    log(`  ${'total'.padEnd(36)} ${fixed(estimated)} ${fixed(actual)}   ratio ${ratio.toFixed(2)}`);
    if (runs.length > 1) log(`  rounds (estimated/actual): ${runs.map((r) => `${r.plan.estimatedSeconds.toFixed(2)}/${r.seconds.toFixed(2)} s`).join(', ')}`);
    figures.push(
      estimateFigure(
        `MVP1 -> MVP5, ${size.toLocaleString('en-US')} KB entries: estimated total vs actual run${runs.length > 1 ? ` (medians of ${runs.length} rounds)` : ''}`,
        estimated,
        actual,
      ),
    );
    figures.push({
      label: `planning time, ${size.toLocaleString('en-US')} KB entries (rehearsals included)`,
      value: planMs / 1000,
      unit: 's',
      baseline: actual,
      ratio: planMs / 1000 / actual,
    });
  }
  notes.push(
    'estimated: the plan made right before the run (three rehearsals on a 40,000-row sample, per-step median; one on the schema alone and one on the schema with fsync; scaled to full size); actual: the same migrations run right after, in the same process and context, as `mfmig migrate` does',
  );
  notes.push(
    `a round (copy of the seeded file, plan, run) whose run is shorter than ${REPEAT_BELOW_SECONDS} s is repeated to ${REPEATS} rounds; the figure compares the median estimate with the median run, since one short run moves too much with the machine's load`,
  );
  notes.push('the machine is shared: wall-clock times of both sides move with its load');
  return { suite: 'estimate', figures, notes };
}

function contextFor(file) {
  const context = createServiceContext({ database: file, migrationsPath: MIGRATIONS, backupPath: join(file, '..') });
  context.plugins.push(createTransformerPlugin());
  new SchemaEvolution(context);
  return context;
}

/**
 * One round as `mfmig migrate` does it: on a fresh copy of the seeded file, plan MVP1 -> MVP5,
 * then run it in the same process and context. Returns the plan, the planning time and the
 * run's total and per-step seconds.
 */
async function planAndRun(seeded, tmpDir) {
  const copy = join(tmpDir, 'run.db');
  copyFileSync(seeded, copy);
  const context = contextFor(copy);
  try {
    const planStart = performance.now();
    const plan = await new MigrationPlanner(context).createComprehensiveMigrationPlan(5);
    const planMs = performance.now() - planStart;
    const migrator = await context.migrator();
    const start = performance.now();
    const result = await migrator.migrate({ mvp: 5 });
    const total = (performance.now() - start) / 1000;
    if (result.error) throw result.error;
    return { plan, planMs, seconds: total, steps: result.results.map((r) => ({ version: r.version, name: r.name, seconds: r.durationMs / 1000 })) };
  } finally {
    context.close();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${copy}${suffix}`, { force: true });
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function seed(file, rows) {
  const adapter = openDatabase(file, { create: true });
  try {
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(MIGRATIONS) });
    const result = await migrator.migrate({ mvp: 1 });
    if (result.error) throw result.error;
    await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows });
  } finally {
    adapter.close();
  }
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fixed = (s) => (s === undefined ? '-' : `${s.toFixed(2)} s`).padStart(10);
