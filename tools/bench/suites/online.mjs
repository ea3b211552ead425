// Online migrations (issue 15): `mfmig migrate` MVP1 -> latest, pre-run backup included, with an
// application writer beside it (one small INSERT every 20 ms, busy_timeout 5 s) against the same
// run with no writer, in WAL and rollback-journal (DELETE) mode (BENCH_MODES=wal or =delete for
// one), at --rows and --rows/10 entries.
// Reports failed writes, the longest and p99 wait, the run time loaded vs unloaded, and per step
// the planner's "Blocks writes" next to the longest stall the writer saw in that step.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, plan } from '../lib/mfmig-cli.mjs';
import { attribute, phasesOf, stallsByPhase, summarize } from '../lib/timeline.mjs';
import { startWriter } from '../lib/writer-process.mjs';
import { MIGRATIONS, seedKnowledgeBaseFile } from '../lib/kb-seed.mjs';

const INTERVAL_MS = 20;
const MODES = (process.env.BENCH_MODES ?? 'wal,delete').split(',');
/** The loaded run's writer stops after this many times the unloaded run (at least MIN_CAP_MS). */
const CAP_FACTOR = 4;
const MIN_CAP_MS = 20_000;
const ENV = { ENABLE_METRICS: 'true' };

export async function run({ rows, tmpDir, log }) {
  const sizes = [...new Set([Math.max(1, Math.floor(rows / 10)), rows])];
  const figures = [];
  const notes = [
    `writer: one INSERT into kb_feedback every ${INTERVAL_MS} ms, busy_timeout 5000, foreign_keys ON, in its own process; waits are each statement's wall time`,
    `the loaded run's writer is stopped after ${CAP_FACTOR}x the unloaded run (at least ${MIN_CAP_MS / 1000} s) so that a run the writer starves still ends`,
  ];
  const details = [];
  for (const size of sizes) {
    const base = join(tmpDir, `base-${size}.db`);
    const seedStart = performance.now();
    await seedKnowledgeBaseFile(base, size);
    log(`seeded ${size.toLocaleString('en-US')} KB entries in ${sec(performance.now() - seedStart)}`);
    for (const mode of MODES) {
      const result = await measure({ base, size, mode, dir: join(tmpDir, `${mode}-${size}`), log });
      figures.push(...result.figures);
      notes.push(result.note);
      details.push(result.details);
    }
    rmSync(base, { force: true });
  }
  return { suite: 'online', figures, notes, details };
}

async function measure({ base, size, mode, dir, log }) {
  const tag = `${mode} ${size.toLocaleString('en-US')}`;
  const unloadedDir = join(dir, 'unloaded');
  const loadedDir = join(dir, 'loaded');
  for (const d of [unloadedDir, loadedDir]) mkdirSync(d, { recursive: true });
  const prepared = join(dir, 'kb.db');
  copyFileSync(base, prepared);
  setJournalMode(prepared, mode);
  copyFileSync(prepared, join(unloadedDir, 'kb.db'));
  copyFileSync(prepared, join(loadedDir, 'kb.db'));
  const unloadedOpts = { db: join(unloadedDir, 'kb.db'), migrations: MIGRATIONS, dir: unloadedDir };
  const loadedOpts = { db: join(loadedDir, 'kb.db'), migrations: MIGRATIONS, dir: loadedDir };

  const planned = await plan(unloadedOpts);
  const unloaded = await migrate(unloadedOpts, { env: ENV });
  if (unloaded.code !== 0) throw new Error(`${tag}: unloaded migrate exited ${unloaded.code}: ${tail(unloaded)}`);
  log(`${tag}: unloaded run ${sec(unloaded.ms)}`);

  const capMs = Math.max(CAP_FACTOR * unloaded.ms, MIN_CAP_MS);
  const { loaded, records, writerStoppedAt } = await loadedRun(loadedOpts, Math.min(size, 1000), capMs);
  const cappedEarly = writerStoppedAt < loaded.exitAt;
  const windowEnd = Math.min(loaded.exitAt, writerStoppedAt);
  const sum = summarize(records, loaded.spawnAt, windowEnd, INTERVAL_MS);
  const phases = phasesOf(loaded.lines, loaded.spawnAt, loaded.exitAt);
  const attributed = attribute(
    records.filter((r) => r.start >= loaded.spawnAt && r.start < windowEnd),
    phases,
  );
  const stalls = stallsByPhase(attributed, phases);
  const unloadedBackup = stallsByPhase([], phasesOf(unloaded.lines, unloaded.spawnAt, unloaded.exitAt)).find((s) => s.phase.startsWith('backup'));
  log(
    `${tag}: loaded run ${sec(loaded.ms)} (exit ${loaded.code}${cappedEarly ? `, writer stopped at ${sec(writerStoppedAt - loaded.spawnAt)}` : ''}); ${sum.attempted} writes of ${sum.due} due, ${sum.failed} failed, longest wait ${Math.round(sum.longestWait)} ms`,
  );

  const ratio = loaded.ms / unloaded.ms;
  const figures = [
    { label: `${tag}: failed writes (of ${sum.attempted} attempted)`, value: sum.failed, unit: 'writes', target: '= 0', met: sum.failed === 0 },
    {
      label: `${tag}: writes attempted vs due on the ${INTERVAL_MS} ms cadence`,
      value: sum.attempted,
      unit: 'writes',
      baseline: sum.due,
      ratio: sum.due ? sum.attempted / sum.due : 0,
    },
    { label: `${tag}: longest writer wait`, value: sum.longestWait, unit: 'ms', target: '<= 1000 ms', met: sum.longestWait <= 1000 },
    { label: `${tag}: p99 writer wait`, value: sum.p99Wait, unit: 'ms' },
    {
      label: `${tag}: migrate under the writer vs unloaded${cappedEarly ? ' (writer stopped early)' : ''}${loaded.code === 0 ? '' : ` (exit ${loaded.code})`}`,
      value: loaded.ms,
      unit: 'ms',
      baseline: unloaded.ms,
      ratio,
      target: '<= 1.5x unloaded',
      met: ratio <= 1.5 && loaded.code === 0,
    },
  ];
  const backup = stalls.find((s) => s.phase.startsWith('backup'));
  if (backup && unloadedBackup) {
    figures.push(
      {
        label: `${tag}: pre-run backup under the writer vs unloaded`,
        value: backup.ms,
        unit: 'ms',
        baseline: unloadedBackup.ms,
        ratio: backup.ms / unloadedBackup.ms,
        target: '<= 1.5x unloaded',
        met: backup.ms <= 1.5 * unloadedBackup.ms,
      },
      {
        label: `${tag}: longest writer wait in the backup vs the unloaded backup`,
        value: backup.longestWait,
        unit: 'ms',
        baseline: unloadedBackup.ms,
        ratio: backup.longestWait / unloadedBackup.ms,
        target: '<= 1x unloaded backup',
        met: backup.longestWait <= unloadedBackup.ms,
      },
    );
  }
  // Steps that began after the writer was stopped saw no writes: nothing to compare.
  for (const s of stalls.filter((x) => x.version !== undefined && x.start < writerStoppedAt)) {
    const claim = planned[s.version]?.blocksWritesMs ?? 0;
    if (Math.max(claim, s.longestStall) < 100) continue;
    const r = claim > 0 ? s.longestStall / claim : Infinity;
    figures.push({
      label: `${tag}: step ${s.phase}: longest writer stall in the step vs planner's Blocks writes`,
      value: s.longestStall,
      unit: 'ms',
      baseline: claim,
      ratio: r,
      target: 'within ±50% of the plan',
      met: r >= 0.5 && r <= 1.5,
    });
  }
  const note = `${tag}, phases of the loaded run (steps under 20 ms left out; time; writes that waited mostly in it, their longest wait; longest stall inside it; planner's Blocks writes): ${stalls
    .filter((s) => s.version === undefined || Math.max(s.longestStall, planned[s.version]?.blocksWritesMs ?? 0) >= 20)
    .map(
      (s) =>
        `${s.phase} ${dur(s.ms)}; ${s.writes} writes${s.failed ? ` (${s.failed} failed)` : ''}, ${dur(s.longestWait)}; stall ${dur(s.longestStall)}${s.version !== undefined ? `; plan ${dur(planned[s.version]?.blocksWritesMs ?? 0)}` : ''}`,
    )
    .join(
      ' | ',
    )}${cappedEarly ? ` | the writer stopped at ${sec(writerStoppedAt - loaded.spawnAt)}` : ''}${sum.errors.length ? ` | errors: ${sum.errors.join(', ')}` : ''}`;
  const details = {
    mode,
    rows: size,
    planned,
    stalls,
    summary: sum,
    cappedEarly,
    unloaded: { ms: unloaded.ms, code: unloaded.code, spawnAt: unloaded.spawnAt, lines: unloaded.lines },
    loaded: {
      ms: loaded.ms,
      code: loaded.code,
      spawnAt: loaded.spawnAt,
      exitAt: loaded.exitAt,
      writerStoppedAt,
      lines: loaded.lines,
      history: historyOf(loadedOpts.db),
    },
    phases,
    writes: attributed,
  };
  rmSync(dir, { recursive: true, force: true });
  return { figures, note, details };
}

/** Starts the writer, then migrate; stops the writer when migrate exits or after capMs. */
async function loadedRun(opts, maxId, capMs) {
  const writer = await startWriter(opts.db, maxId, INTERVAL_MS);
  await new Promise((resolve) => setTimeout(resolve, 100));
  let writerStoppedAt = Infinity;
  const stop = () => {
    if (writerStoppedAt !== Infinity) return;
    writerStoppedAt = performance.timeOrigin + performance.now();
    writer.stop();
  };
  const timer = setTimeout(stop, capMs);
  const loaded = await migrate(opts, { env: ENV });
  clearTimeout(timer);
  stop();
  return { loaded, records: await writer.records, writerStoppedAt };
}

/** Sets the file's journal mode and closes it; the closed file has no -wal or -shm left to copy. */
function setJournalMode(path, mode) {
  const db = new Database(path);
  const got = db.pragma(`journal_mode = ${mode.toUpperCase()}`, { simple: true });
  db.close();
  if (got !== mode) throw new Error(`journal_mode ${mode} not set (got ${got})`);
  if (existsSync(`${path}-wal`) || existsSync(`${path}-shm`)) throw new Error(`${path} left a -wal or -shm file after closing`);
}

function historyOf(path) {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT version, name, applied_at, duration_ms FROM mfmig_history ORDER BY version').all();
  } finally {
    db.close();
  }
}

const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
const dur = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : sec(ms));
const tail = (r) =>
  r.lines
    .slice(-5)
    .map((l) => l.line)
    .join(' / ');
