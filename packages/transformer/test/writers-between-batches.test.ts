import { join } from 'node:path';
import { startAppWriter } from '@mfmig/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { type BatchPacing, DataTransformer, type DataTransformation } from '../src/index.js';
import { seededMvp1, tempDir } from './helpers.js';

const ROWS = 8000;

/** A row function that costs about 0.5 ms a row: the whole copy takes about 4 s. */
const slowCopy: DataTransformation = {
  id: 'slow_copy',
  name: 'Slow copy',
  sourceTable: 'kb_entries',
  targetTable: 'kb_copy',
  transformationType: 'convert',
  reversible: false,
  batchSize: ROWS,
  transform: (row) => {
    const until = performance.now() + 0.5;
    while (performance.now() < until);
    return { entry_id: row.id, title: row.title };
  },
};

describe('an application writing while a transformation runs in batches', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  async function run(pacing?: BatchPacing) {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = join(dir, 'kb.db');
    const adapter = await seededMvp1(db, ROWS);
    adapter.exec(
      'CREATE TABLE kb_copy (rid INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL, title TEXT); CREATE TABLE app_log (id INTEGER PRIMARY KEY, tick INTEGER NOT NULL)',
    );
    // The app gives up after 2 s, as an app with a short busy_timeout does.
    const app = await startAppWriter({ db, sql: 'INSERT INTO app_log (tick) VALUES (@tick)', params: { tick: '$tick' }, intervalMs: 10, busyTimeoutMs: 2000 });
    const transformer = new DataTransformer({ database: adapter.raw }, pacing ? { pacing } : {});
    const started = Date.now();
    await transformer.execute(slowCopy, { batch: 'always' });
    const ended = Date.now();
    const report = await app.stop();
    const copied = adapter.rowCount('kb_copy');
    const logged = adapter.rowCount('app_log');
    adapter.close();
    return { report, copied, logged, during: report.writes.filter((w) => w.at > started && w.at < ended) };
  }

  it('gets the write lock between batches: no write of the application fails', async () => {
    const { report, copied, logged, during } = await run();
    expect(copied).toBe(ROWS);
    expect(report.failed, JSON.stringify(report.failed)).toEqual([]);
    expect(logged).toBe(report.writes.length);
    expect(during.length).toBeGreaterThan(10);
  });

  it('is locked out by one long batch (the same copy as a single 4 s transaction)', async () => {
    const { report, copied, logged } = await run({ targetMs: Number.POSITIVE_INFINITY, pauseMs: 0 });
    expect(copied).toBe(ROWS);
    expect(report.failed.length).toBeGreaterThan(0);
    expect(report.failed.every((w) => w.error === 'SQLITE_BUSY')).toBe(true);
    expect(logged).toBe(report.writes.length - report.failed.length);
  });
});
