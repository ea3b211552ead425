import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startAppWriter } from '@mfmig/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTransformer, type DataTransformation } from '../src/index.js';
import { tempDir } from './helpers.js';

// A validation query that reads `scores` for about a second: with a rollback journal, read on
// the live file it stops the application's commits all that time.
const SLOW_COUNT = `SELECT count(*) FROM scores WHERE (SELECT count(*) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT i FROM n)) > 0`;

const COPY: DataTransformation = {
  id: 'copy_scores',
  name: 'Copy scores',
  sourceTable: 'scores',
  targetTable: 'copied',
  transformationType: 'convert',
  sql: 'INSERT INTO copied (id, score) SELECT id, score FROM scores WHERE id > @batchStart AND id <= @batchEnd',
  reversible: true,
  reverse: 'DELETE FROM copied',
  validationQueries: [{ sql: SLOW_COUNT, expect: { query: 'SELECT count(*) FROM copied' } }],
};

const leftovers = (db: Database.Database) => [
  ...db.prepare("SELECT name FROM main.sqlite_schema WHERE name LIKE 'mfmig\\_watch%' ESCAPE '\\'").pluck().all(),
  ...db.prepare('SELECT name FROM temp.sqlite_schema').pluck().all(),
];

describe('validation queries after batches, on a large rollback-journal file', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function database(): { path: string; db: Database.Database } {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'scores.db');
    const db = new Database(path);
    cleanups.unshift(() => db.close());
    db.pragma('journal_mode = DELETE');
    db.exec(`CREATE TABLE scores (id INTEGER PRIMARY KEY, score REAL);
      CREATE TABLE copied (id INTEGER PRIMARY KEY, score REAL);
      CREATE TABLE app_log (id INTEGER PRIMARY KEY, tick INTEGER);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO scores (id, score) SELECT i, i * 0.5 FROM n;`);
    return { path, db };
  }

  // copyReadsMinBytes 0 makes this small file count as large
  async function executeBeside(copyReadsMinBytes: number, t: DataTransformation = COPY) {
    const { path, db } = database();
    // an application that gives up after 300 ms
    const app = await startAppWriter({
      db: path,
      sql: 'INSERT INTO app_log (tick) VALUES (@tick)',
      params: { tick: '$tick' },
      intervalMs: 10,
      busyTimeoutMs: 300,
    });
    await new Promise((r) => setTimeout(r, 50));
    const outcome = await new DataTransformer({ database: db }, { copyReadsMinBytes }).execute(t, { batch: 'always' }).catch((error: unknown) => error);
    const writes = await app.stop();
    return { db, outcome, writes };
  }

  it('read paced TEMP copies: the application keeps committing, and the results are those of the data', async () => {
    const { db, outcome, writes } = await executeBeside(0);
    expect(writes.failed, JSON.stringify(writes.failed.slice(0, 3))).toEqual([]);
    expect(outcome).toMatchObject({ validations: [{ transformationId: 'copy_scores', value: 5000, passed: true }] });
    expect(leftovers(db)).toEqual([]);
  });

  it('lock the application out when read on the live file (the control)', async () => {
    const { outcome, writes } = await executeBeside(Number.MAX_SAFE_INTEGER);
    expect(writes.failed.length).toBeGreaterThan(0);
    expect(writes.failed.every((w) => w.error === 'SQLITE_BUSY')).toBe(true);
    expect(outcome).toMatchObject({ validations: [{ value: 5000, passed: true }] });
  });

  it('confirm a failure on the live file, undo the batches, and leave no triggers or copies behind', async () => {
    const failing = { ...COPY, validationQueries: [{ sql: 'SELECT count(*) FROM copied WHERE score < 0', expect: 'nonZero' as const }] };
    const { db, outcome, writes } = await executeBeside(0, failing);
    expect(outcome).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(db.prepare('SELECT count(*) FROM copied').pluck().get()).toBe(0);
    expect(writes.failed).toEqual([]);
    expect(leftovers(db)).toEqual([]);
  });
});
