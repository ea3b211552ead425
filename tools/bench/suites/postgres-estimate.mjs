// Estimate accuracy of the PostgreSQL plan, the twin of the `estimate` suite: on a scratch
// database per round, the real `mfmig` binary seeds a knowledge base of 10k, 100k and `rows` KB
// entries at MVP1, plans MVP1 -> MVP5 (`plan --json`: a rehearsal on a sample of 10,000 rows a
// table, module migrations included) and then runs it (`migrate --to-mvp 5`, metrics on); the
// estimated total is compared with the steps' measured durations (`mfmig_metrics`), per step and
// in total. Target: the total within +-35% of the actual at every size, as on SQLite. Sizes whose
// run takes under 30 s are repeated on fresh databases (3 rounds) and their medians compared.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER, checkpoint, median, ms, reach, redact, scratchDatabases, withClient } from '../lib/pg-scratch.mjs';
import { estimateFigure } from '../lib/estimate-figure.mjs';

const BIN = new URL('../../../packages/cli/dist/bin.js', import.meta.url).pathname;
const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;
const REPEAT_BELOW_SECONDS = 30;
const REPEATS = 3;

export async function run({ rows, log }) {
  const sizes = [...new Set([10_000, 100_000, rows])].filter((n) => n <= Math.max(rows, 10_000)).sort((a, b) => a - b);
  const admin = await reach(SERVER, 'postgres-estimate');
  const scratch = scratchDatabases(admin);
  const dir = mkdtempSync(join(tmpdir(), 'mfmig-bench-pg-estimate-'));
  const figures = [];
  try {
    log(`server ${redact(SERVER)}`);
    for (const size of sizes) {
      const rounds = [];
      do rounds.push(await planAndRun(scratch, admin, dir, size));
      while (rounds.length < REPEATS && rounds[0].actualSeconds < REPEAT_BELOW_SECONDS);
      const estimated = median(rounds.map((r) => r.plan.estimatedSeconds));
      const actual = median(rounds.map((r) => r.actualSeconds));
      const planMs = median(rounds.map((r) => r.planMs));
      log(`${size.toLocaleString('en-US')} KB entries: planned in ${ms(planMs)}${rounds.length > 1 ? ` (medians of ${rounds.length} rounds)` : ''}`);
      log(`  ${'step'.padEnd(34)} ${'estimated'.padStart(10)} ${'actual'.padStart(10)}`);
      for (const step of rounds[0].plan.steps) {
        const est = median(rounds.map((r) => r.plan.steps.find((s) => s.version === step.version)?.estimatedSeconds ?? 0));
        const act = median(rounds.map((r) => r.actual.get(step.version) ?? 0));
        log(`  ${`${step.version} ${step.name}`.padEnd(34)} ${est.toFixed(3).padStart(9)}s ${act.toFixed(3).padStart(9)}s`);
      }
      const ratio = estimated / actual;
      log(`  ${'total'.padEnd(34)} ${estimated.toFixed(3).padStart(9)}s ${actual.toFixed(3).padStart(9)}s   ratio ${ratio.toFixed(2)}`);
      figures.push(
        estimateFigure(
          `PostgreSQL MVP1 -> MVP5, ${size.toLocaleString('en-US')} KB entries: estimated total vs the steps' measured run${rounds.length > 1 ? ` (medians of ${rounds.length} rounds)` : ''}`,
          estimated,
          actual,
        ),
      );
    }
  } finally {
    await scratch.dropAll();
    await admin.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    suite: 'postgres-estimate',
    figures,
    notes: [
      "estimate: `mfmig --db postgres://... plan --to-mvp 5 --json` (rehearsed on 10,000 rows a table; each step from the rehearsal, its time on empty tables not scaled); actual: the sum of the run's `mfmig_metrics` step rows (the steps alone, not the pre-run backup or validation)",
    ],
  };
}

/** One round on a fresh database: seed, plan, run; the plan and each step's measured seconds. */
async function planAndRun(scratch, admin, dir, size) {
  const db = await scratch.create();
  try {
    cli(dir, db.url, ['seed', '--rows', String(size)]);
    await withClient(db.url, (client) => client.query('ANALYZE'));
    await checkpoint(admin);
    const planStart = performance.now();
    const plan = JSON.parse(cli(dir, db.url, ['--json', 'plan', '--to-mvp', '5']));
    const planMs = performance.now() - planStart;
    await checkpoint(admin);
    cli(dir, db.url, ['--yes', 'migrate', '--to-mvp', '5'], { ENABLE_METRICS: 'true' });
    const metrics = await withClient(db.url, (client) =>
      client.query("SELECT step, duration_ms FROM mfmig_metrics WHERE direction = 'up' AND step NOT LIKE '%#%' ORDER BY id"),
    );
    const actual = new Map(metrics.rows.map((r) => [Number(String(r.step).slice(0, 4)), Number(r.duration_ms) / 1000]));
    const missing = plan.steps.filter((s) => !actual.has(s.version)).map((s) => s.version);
    if (missing.length > 0) throw new Error(`the run recorded no metrics for version(s) ${missing.join(', ')}`);
    if (typeof plan.estimatedSeconds !== 'number') throw new Error('the plan gave no total estimate');
    return { plan, planMs, actual, actualSeconds: [...actual.values()].reduce((a, b) => a + b, 0) };
  } finally {
    await scratch.drop(db);
  }
}

/** Runs the real binary on `url`; its stdout, or a one-line error with its stderr when it fails. */
function cli(dir, url, args, env = {}) {
  const r = spawnSync(
    process.execPath,
    [BIN, '--db', url, '--migrations', MIGRATIONS, '--backups', join(dir, 'backups'), '--schema-file', join(dir, 'schema.sql'), ...args],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`mfmig ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`);
  return r.stdout;
}
