// Backup of a seeded knowledge base: @mfmig/rollback's createBackup vs raw better-sqlite3
// db.backup() in the same run. The copy (online backup API, making the copy self-contained,
// fsync) is compared with the raw call; the verification (sha256 for the manifest,
// integrity_check) is reported separately.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Migrator, SqliteConnection, loadMigrations, openDatabase, openSqlite } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';
import { createBackup } from '../../../packages/rollback/dist/index.js';

const ROUNDS = 3;
const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;

export async function run({ rows, tmpDir, log }) {
  const source = join(tmpDir, 'kb.db');
  const seedStart = performance.now();
  await seed(source, rows);
  const bytes = statSync(source).size;
  log(`seeded ${rows.toLocaleString('en-US')} KB entries: ${(bytes / 1e6).toFixed(1)} MB in ${ms(performance.now() - seedStart)}`);
  const times = { raw: [], rawTuned: [], copy: [], total: [], sha: [], integrity: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['raw', 'mfmig', 'rawTuned'] : ['rawTuned', 'mfmig', 'raw'];
    for (const kind of order) await runners[kind](source, join(tmpDir, `${kind}-${round}`), times);
    log(
      `round ${round + 1}: raw ${ms(times.raw[round])}, raw (8192-page steps) ${ms(times.rawTuned[round])}, mfmig copy ${ms(times.copy[round])} + sha256 ${ms(times.sha[round])} + integrity_check ${ms(times.integrity[round])}`,
    );
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const mbps = (t) => bytes / 1e6 / (t / 1000);
  const raw = mbps(med(times.raw));
  const rawTuned = mbps(med(times.rawTuned));
  const copy = mbps(med(times.copy));
  const total = mbps(med(times.total));
  return {
    suite: 'backup',
    figures: [
      {
        label: 'mfmig backup copy (online backup API + self-contained copy + fsync)',
        value: copy,
        unit: 'MB/s',
        baseline: raw,
        ratio: copy / raw,
        target: '>= 0.9x raw db.backup()',
        met: copy / raw >= 0.9,
      },
      { label: 'mfmig backup copy vs raw db.backup() with the same 8192-page steps', value: copy, unit: 'MB/s', baseline: rawTuned, ratio: copy / rawTuned },
      { label: 'mfmig createBackup without integrity check (copy + sha256 + manifest)', value: total, unit: 'MB/s', baseline: raw, ratio: total / raw },
      { label: 'verification: sha256 of the copy', value: med(times.sha), unit: 'ms' },
      { label: 'verification: integrity_check of the copy', value: med(times.integrity), unit: 'ms' },
      { label: 'raw db.backup() (default steps of 100 pages)', value: raw, unit: 'MB/s' },
      { label: 'database size', value: bytes / 1e6, unit: 'MB' },
    ],
    notes: [`median of ${ROUNDS} rounds, order alternated; ${rows.toLocaleString('en-US')} KB entries with tags and feedback`],
  };
}

const runners = {
  async raw(source, target, times) {
    const db = new Database(source, { readonly: true });
    const start = performance.now();
    await db.backup(`${target}.db`);
    times.raw.push(performance.now() - start);
    db.close();
    rmSync(`${target}.db`, { force: true });
  },
  async rawTuned(source, target, times) {
    const db = new Database(source, { readonly: true });
    const start = performance.now();
    await db.backup(`${target}.db`, { progress: () => 8192 });
    times.rawTuned.push(performance.now() - start);
    db.close();
    rmSync(`${target}.db`, { force: true });
  },
  async mfmig(source, target, times) {
    const conn = await openSqlite(source, { mode: 'readonly' });
    const start = performance.now();
    const backup = await createBackup(conn, { backupPath: target, kind: 'manual', verify: false });
    times.total.push(performance.now() - start);
    times.copy.push(backup.timings.copyMs);
    times.sha.push(backup.timings.hashMs);
    const db = new Database(backup.path, { readonly: true });
    const checkStart = performance.now();
    const result = db.pragma('integrity_check', { simple: true });
    times.integrity.push(performance.now() - checkStart);
    db.close();
    await conn.close();
    if (result !== 'ok') throw new Error(`backup copy fails integrity_check: ${result}`);
    rmSync(target, { recursive: true, force: true });
  },
};

/** The real MVP1 schema, seeded with `rows` KB entries (with their tags and feedback) by the framework's seed. */
async function seed(path, rows) {
  const adapter = openDatabase(path, { create: true });
  const set = await loadMigrations(MIGRATIONS);
  const result = await new Migrator({ adapter, migrations: set }).migrate({ mvp: 1 });
  if (result.error) throw result.error;
  await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows, seed: 1 });
  adapter.close();
}

function ms(t) {
  return `${Math.round(t)} ms`;
}
