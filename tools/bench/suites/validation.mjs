// Validation on a `rows` seeded knowledge base, migrated to the highest milestone available, against the raw
// SQLite checks in the same process and run:
// 1. the quick level (ValidationService.performComprehensiveValidation, construction to report) vs raw
//    `PRAGMA quick_check` + `PRAGMA foreign_key_check`;
// 2. the comprehensive level vs raw `PRAGMA integrity_check` + `PRAGMA foreign_key_check`.
// Each raw baseline is measured twice: on a read-only handle (what the validator's own connections are), and on
// a plain read-write handle, where SQLite's checks also evaluate every CHECK constraint (which it skips on a
// read-only connection; the validator evaluates them itself from the standard level up). The read-only baseline
// is the harder one to beat. Rounds alternate the order after a warm-up read of the whole file; each figure takes
// the median. Every report must be clean (no finding, nothing skipped but by level), or the suite fails.
import { cpSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';
import { ValidationService } from '../../../packages/validation/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const REPO_MIGRATIONS = join(repo, 'migrations');
const TRANSFORMER = join(repo, 'packages/transformer/dist/index.js');

export async function run({ rows, tmpDir, log }) {
  // A private copy of the migrations: an edit to the repository's files during the run must not
  // turn into checksum findings.
  const migrations = join(tmpDir, 'migrations');
  cpSync(REPO_MIGRATIONS, migrations, { recursive: true, dereference: true });
  const file = join(tmpDir, 'kb.db');
  const notes = [];
  const seedStart = performance.now();
  const reached = await seed(file, migrations, rows, notes);
  log(`seeded ${rows.toLocaleString('en-US')} KB rows and migrated to MVP${reached} in ${ms(performance.now() - seedStart)}`);
  warmUp(file);

  const rounds = rows <= 200_000 ? 5 : 3;
  const kinds = ['rawQuickRo', 'quick', 'rawFullRo', 'comprehensive', 'rawQuickRw', 'rawFullRw'];
  const times = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) times[kind].push(await measure[kind](file, migrations));
    const t = (k) => ms(times[k][round]);
    log(
      `round ${round + 1}: quick level ${t('quick')} | quick_check+fk read-only ${t('rawQuickRo')}, read-write ${t('rawQuickRw')} || comprehensive level ${t('comprehensive')} | integrity_check+fk read-only ${t('rawFullRo')}, read-write ${t('rawFullRw')}`,
    );
  }
  const m = Object.fromEntries(kinds.map((k) => [k, median(times[k])]));
  notes.push(
    `database: ${rows.toLocaleString('en-US')} KB rows at MVP${reached}, ${(statSize(file) / 1048576).toFixed(0)} MiB; medians of ${rounds} alternating rounds`,
    `the validator runs its heavy checks in up to ${Math.min(2, availableParallelism())} child processes (read-only connections, killable at the timeout) while it reads the catalog; each raw baseline runs on one connection`,
    `a read-write handle's quick_check/integrity_check also evaluate every CHECK constraint (SQLite skips them on read-only handles): that is the difference between the two baselines`,
    `quick level = quick_check + one foreign_key_check per child table + catalog checks (schema against the applied migrations, milestone compliance, FK/index checks, EXPLAIN QUERY PLAN of every critical query)`,
    `comprehensive level = integrity_check + foreign_key_check + one filtered scan per table for CHECK constraints, declared domains and required columns + duplicates (GROUP BY) and orphans + dbstat page analysis + the catalog checks`,
  );
  return {
    suite: 'validation',
    figures: [
      figure('quick level vs quick_check + foreign_key_check (read-only handle)', m.quick, m.rawQuickRo, 1.3),
      figure('comprehensive level vs integrity_check + foreign_key_check (read-only handle)', m.comprehensive, m.rawFullRo, 2),
      figure('quick level vs quick_check + foreign_key_check (read-write handle)', m.quick, m.rawQuickRw, 1.3),
      figure('comprehensive level vs integrity_check + foreign_key_check (read-write handle)', m.comprehensive, m.rawFullRw, 2),
    ],
    notes,
  };
}

const measure = {
  rawQuickRo: (file) => raw(file, 'quick_check', true),
  rawQuickRw: (file) => raw(file, 'quick_check', false),
  rawFullRo: (file) => raw(file, 'integrity_check', true),
  rawFullRw: (file) => raw(file, 'integrity_check', false),
  quick: (file, migrations) => validate(file, migrations, 'quick'),
  comprehensive: (file, migrations) => validate(file, migrations, 'comprehensive'),
};

/** The raw check as a user runs it: open, the pragma, foreign_key_check, close. */
async function raw(file, pragma, readonly) {
  const start = performance.now();
  const db = new Database(file, { readonly });
  const ok = db.pragma(pragma);
  const fk = db.pragma('foreign_key_check');
  db.close();
  const elapsed = performance.now() - start;
  if (ok[0]?.[pragma] !== 'ok' || fk.length > 0) throw new Error(`raw ${pragma}/foreign_key_check found problems: the benchmark database is not clean`);
  return elapsed;
}

async function validate(file, migrationsPath, level) {
  const start = performance.now();
  const validation = new ValidationService({ database: file, migrationsPath, integrityCheckLevel: level });
  const report = await validation.performComprehensiveValidation();
  validation.close();
  const elapsed = performance.now() - start;
  const problems = [...report.errors, ...report.warnings, ...report.checksSkipped.filter((s) => s.reason !== 'level')];
  if (problems.length > 0) throw new Error(`the ${level} report is not clean: ${JSON.stringify(problems.slice(0, 3))}`);
  return elapsed;
}

/** MVP1 + seed, then every later milestone (with the transformer plugin when it is built). Returns the milestone reached. */
async function seed(file, folder, rows, notes) {
  const adapter = openDatabase(file, { create: true });
  try {
    const migrations = await loadMigrations(folder);
    const first = await new Migrator({ adapter, migrations }).migrate({ mvp: 1 });
    if (first.error) throw first.error;
    await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows, seed: 1 });
    if (!existsSync(TRANSFORMER)) {
      notes.push('packages/transformer/dist is not built: benchmarked on MVP1 (MVP2..5 need the transformer plugin)');
      return 1;
    }
    const { createTransformerPlugin } = await import(pathToFileURL(TRANSFORMER).href);
    const rest = await new Migrator({ adapter, migrations, plugins: [createTransformerPlugin()] }).migrate();
    if (rest.error) {
      notes.push(`migrating past MVP1 failed (${rest.error.message}); benchmarked at the milestone reached`);
    }
    return new Migrator({ adapter, migrations }).status().currentMvp;
  } finally {
    adapter.close();
  }
}

/** Reads the whole file once so that no measured run pays for the first read from disk. */
function warmUp(file) {
  const db = new Database(file, { readonly: true });
  db.pragma('quick_check');
  db.close();
}

function figure(label, value, baseline, max) {
  const ratio = value / baseline;
  return { label, value: Math.round(value), unit: 'ms', baseline: Math.round(baseline), ratio, target: `<= ${max}x`, met: ratio <= max };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function statSize(file) {
  const db = new Database(file, { readonly: true });
  const size = db.pragma('page_count', { simple: true }) * db.pragma('page_size', { simple: true });
  db.close();
  return size;
}

function ms(v) {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}
