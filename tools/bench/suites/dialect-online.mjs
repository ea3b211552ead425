// DialectMigrator's online table rebuild on SQLite (issue 17): migration 0009 rebuilds kb_entries
// while an application writer (one small INSERT into kb_feedback every 20 ms, busy_timeout 5 s,
// in its own process) runs beside the run. The same run with `onlineRebuild: false` (the whole
// rebuild in one transaction, as DialectMigrator ran it before) is the baseline, in the same run:
// the longest writer wait and the run time, online vs in one transaction. At --rows/10 entries
// (at least 10,500, so that kb_entries is over the 10,000-row threshold).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DialectMigrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { MIGRATIONS, seedKnowledgeBaseFile } from '../lib/kb-seed.mjs';
import { createConnectionTransformer } from '../../../packages/transformer/dist/index.js';
import { summarize } from '../lib/timeline.mjs';
import { startWriter } from '../lib/writer-process.mjs';

const INTERVAL_MS = 20;
const REBUILD_VERSION = 9;

export async function run({ rows, tmpDir, log }) {
  const size = Math.max(10_500, Math.floor(rows / 10));
  const base = join(tmpDir, 'base.db');
  const seedStart = performance.now();
  await seedKnowledgeBaseFile(base, size, { version: REBUILD_VERSION - 1, scratchDir: tmpDir });
  log(`seeded ${size.toLocaleString('en-US')} KB entries and migrated to version ${REBUILD_VERSION - 1} in ${sec(performance.now() - seedStart)}`);
  const migrations = await loadMigrations(MIGRATIONS);
  // interleaved, one transaction first: a machine that slows down during the suite hurts neither side alone
  const oneTransaction = [];
  const online = [];
  for (let round = 0; round < 2; round++) {
    oneTransaction.push(await rebuild({ base, migrations, dir: join(tmpDir, `whole-${round}`), onlineRebuild: false, size }));
    online.push(await rebuild({ base, migrations, dir: join(tmpDir, `online-${round}`), onlineRebuild: undefined, size }));
    const [w, o] = [oneTransaction.at(-1), online.at(-1)];
    log(
      `round ${round + 1}: one transaction ${sec(w.ms)}, longest write wait ${ms(w.sum.longestWait)}; online ${sec(o.ms)} (${o.progress} progress reports), longest write wait ${ms(o.sum.longestWait)}, ${o.sum.failed} failed writes`,
    );
  }
  const median = (runs, pick) => runs.map(pick).sort((a, b) => a - b)[Math.floor((runs.length - 1) / 2)];
  const wait = { online: median(online, (r) => r.sum.longestWait), whole: median(oneTransaction, (r) => r.sum.longestWait) };
  const time = { online: median(online, (r) => r.ms), whole: median(oneTransaction, (r) => r.ms) };
  const failed = online.reduce((n, r) => n + r.sum.failed, 0);
  const tag = `DialectMigrator, 0009 rebuilds kb_entries (${size.toLocaleString('en-US')} rows)`;
  const figures = [
    {
      label: `${tag}: failed application writes, online (of ${online.reduce((n, r) => n + r.sum.attempted, 0)})`,
      value: failed,
      unit: 'writes',
      target: '= 0',
      met: failed === 0,
    },
    {
      label: `${tag}: longest application write wait, online vs one transaction`,
      value: wait.online,
      unit: 'ms',
      baseline: wait.whole,
      ratio: wait.online / wait.whole,
    },
    { label: `${tag}: run time, online vs one transaction`, value: time.online, unit: 'ms', baseline: time.whole, ratio: time.online / time.whole },
  ];
  const notes = [
    `writer: one INSERT into kb_feedback every ${INTERVAL_MS} ms, busy_timeout 5000, in its own process; each figure is the lower median of 2 interleaved runs; online = DialectMigrator's default (rebuilds over 10,000 rows, batches of about 100 ms with 25 ms pauses)`,
  ];
  return { suite: 'dialect-online', figures, notes };
}

/** One DialectMigrator run to version 9 on a copy of `base`, with the writer beside it. */
async function rebuild({ base, migrations, dir, onlineRebuild, size }) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kb.db');
  copyFileSync(base, file);
  const writer = await startWriter(file, Math.min(size, 1000), INTERVAL_MS);
  const connection = new SqliteConnection(openDatabase(file));
  const migrator = new DialectMigrator({
    connection,
    migrations,
    participants: [createConnectionTransformer()],
    ...(onlineRebuild === false ? { onlineRebuild: false } : {}),
  });
  let progress = 0;
  migrator.events.on('operationProgress', (p) => {
    if (p.operation === 'rebuild kb_entries') progress++;
  });
  const from = performance.timeOrigin + performance.now();
  const result = await migrator.migrate({ version: REBUILD_VERSION });
  const to = performance.timeOrigin + performance.now();
  await connection.close();
  writer.stop();
  const sum = summarize(await writer.records, from, to, INTERVAL_MS);
  if (result.error) throw result.error;
  if (onlineRebuild !== false && progress === 0) throw new Error('the online run reported no rebuild progress: it did not rebuild online');
  return { ms: to - from, sum, progress };
}

function sec(v) {
  return `${(v / 1000).toFixed(1)} s`;
}

function ms(v) {
  return `${Math.round(v)} ms`;
}
