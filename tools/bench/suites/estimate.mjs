// Estimate accuracy of @mfmig/planner: plan MVP1 -> MVP5 on seeded knowledge bases of 10k, 100k
// and `rows` KB entries, then run the plan for real (core Migrator with the transformer and
// schema-history plugins) and compare the estimated duration with the measured one, per step
// and in total. Target: the total within +-35% of the actual at every size.
import { join } from 'node:path';
import { Migrator, createServiceContext, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBase } from '../../../packages/framework/dist/index.js';
import { MigrationPlanner } from '../../../packages/planner/dist/index.js';
import { SchemaEvolution } from '../../../packages/schema-evolution/dist/index.js';
import { createTransformerPlugin } from '../../../packages/transformer/dist/index.js';

const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;
const TOLERANCE = 0.35;

export async function run({ rows, tmpDir, log }) {
  const sizes = [...new Set([10_000, 100_000, rows])].filter((n) => n <= Math.max(rows, 10_000)).sort((a, b) => a - b);
  const figures = [];
  const notes = [];
  for (const size of sizes) {
    const file = join(tmpDir, `kb-${size}.db`);
    const seedStart = performance.now();
    await seed(file, size);
    log(`seeded ${size.toLocaleString('en-US')} KB entries in ${seconds(performance.now() - seedStart)}`);
    const context = createServiceContext({ database: file, migrationsPath: MIGRATIONS, backupPath: tmpDir });
    context.plugins.push(createTransformerPlugin());
    new SchemaEvolution(context);
    try {
      const planner = new MigrationPlanner(context);
      const planStart = performance.now();
      const plan = await planner.createComprehensiveMigrationPlan(5);
      const planMs = performance.now() - planStart;
      log(`planned in ${seconds(planMs)} (${plan.estimation.method}, samples ${plan.estimation.sampleRows.join('/')} rows): risk ${plan.riskLevel}, downtime ${plan.requiresDowntime ? 'yes' : 'no'}`);
      const migrator = await context.migrator();
      const runStart = performance.now();
      const result = await migrator.migrate({ mvp: 5 });
      const actual = (performance.now() - runStart) / 1000;
      if (result.error) throw result.error;
      log(`  ${'step'.padEnd(36)} ${'estimated'.padStart(10)} ${'actual'.padStart(10)}`);
      for (const item of result.results) {
        const step = plan.steps.find((s) => s.version === item.version);
        log(`  ${`${item.version} ${item.name}`.padEnd(36)} ${fixed(step?.estimatedSeconds)} ${fixed(item.durationMs / 1000)}`);
      }
      const ratio = plan.estimatedSeconds / actual;
      log(`  ${'total'.padEnd(36)} ${fixed(plan.estimatedSeconds)} ${fixed(actual)}   ratio ${ratio.toFixed(2)}`);
      figures.push({
        label: `MVP1 -> MVP5, ${size.toLocaleString('en-US')} KB entries: estimated total vs actual run`,
        value: plan.estimatedSeconds,
        unit: 's',
        baseline: actual,
        ratio,
        target: `within +-${TOLERANCE * 100}% of actual`,
        met: Math.abs(ratio - 1) <= TOLERANCE,
      });
      figures.push({ label: `planning time, ${size.toLocaleString('en-US')} KB entries (rehearsals included)`, value: planMs / 1000, unit: 's', baseline: actual, ratio: planMs / 1000 / actual });
    } finally {
      context.close();
    }
  }
  notes.push('estimated: the plan made right before the run (rehearsals on a 40,000-row sample, on the schema alone, and on the schema with fsync; scaled to full size); actual: the same migrations run right after on the same file');
  notes.push('the machine is shared: wall-clock times of both sides move with its load');
  return { suite: 'estimate', figures, notes };
}

async function seed(file, rows) {
  const adapter = openDatabase(file, { create: true });
  try {
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(MIGRATIONS) });
    const result = await migrator.migrate({ mvp: 1 });
    if (result.error) throw result.error;
    seedKnowledgeBase(adapter, { rows });
  } finally {
    adapter.close();
  }
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fixed = (s) => (s === undefined ? '-' : `${s.toFixed(2)} s`).padStart(10);
