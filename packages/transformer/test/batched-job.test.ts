// A backfill run outside any migration with transformInBatchesOn, on PostgreSQL and on SQLite, its
// body SQL or a row function: a real child process killed with SIGKILL mid-job leaves only
// committed batches with their cursor, the next call with the same scope resumes and moves every
// source row exactly once, rows the application adds meanwhile (on PostgreSQL from its own
// session while the batches run, which no lock of the job holds up) are moved too, and bad input
// is refused with nothing changed.
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunnableConnection, SqliteConnection, openDatabase, openDatabaseFile, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, openTransaction, removeTempDirs, scratchDatabase, tempTree } from '@mfmig/test-support';
import { reverseTransformationsOn, transformInBatchesOn } from '../src/index.js';
import { runChildKilledAfter } from './helpers.js';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const CHILD = resolve(import.meta.dirname, 'fixtures/batched-job-child.mjs');
const CORE_DIST = resolve(import.meta.dirname, '../../core/dist/index.js');
const TRANSFORMER_DIST = resolve(import.meta.dirname, '../dist/index.js');
const ROWS = 6_000;

/** The job: doubles every source value into a target with no unique key, so that a batch moved twice shows as extra rows. */
const DOUBLE = {
  id: 'double_values',
  name: 'Double every value',
  sourceTable: 'src',
  targetTable: 'dst',
  transformationType: 'convert',
  sql: 'INSERT INTO dst (src_id, v2) SELECT id, v * 2 FROM src',
  reversible: true,
  reverse: 'DELETE FROM dst',
  validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: 'sourceCount' }],
};

/** A database of either dialect, opened anew for each use. */
async function database(dialect: 'sqlite' | 'postgres'): Promise<{ target: string; open(): Promise<RunnableConnection> }> {
  const target = dialect === 'postgres' ? await scratchDatabase() : join(tempTree({}), 'app.db');
  const open = async () => (dialect === 'postgres' ? openPostgres(target) : new SqliteConnection(openDatabase(target)));
  const conn = dialect === 'postgres' ? await open() : new SqliteConnection(openDatabaseFile(target, { create: true }));
  try {
    await conn.execute('CREATE TABLE src (id integer PRIMARY KEY, v integer NOT NULL)');
    await conn.execute('CREATE TABLE dst (src_id integer NOT NULL, v2 integer NOT NULL)');
    await conn.execute(
      dialect === 'postgres'
        ? `INSERT INTO src SELECT g, g FROM generate_series(1, ${ROWS}) AS g`
        : `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${ROWS}) INSERT INTO src SELECT n, n FROM g`,
    );
  } finally {
    await conn.close();
  }
  return { target, open };
}

/** The target's rows, distinct source ids, wrong values, and the job's cursor. */
async function state(conn: RunnableConnection, scope: string) {
  const [counts] = await conn.query<Record<string, number | string>>(
    'SELECT count(*) AS n, count(DISTINCT src_id) AS ids, sum(CASE WHEN v2 = 2 * src_id THEN 0 ELSE 1 END) AS wrong FROM dst',
  );
  const cursors = (await conn.hasTable('mfmig_transform_cursors'))
    ? await conn.query<Record<string, unknown>>('SELECT status, rows_written FROM mfmig_transform_cursors WHERE scope = $1', [`standalone:${scope}`])
    : [];
  return {
    rows: Number(counts!.n),
    ids: Number(counts!.ids),
    wrong: Number(counts!.wrong ?? 0),
    cursors: cursors.map((c) => [c.status, Number(c.rows_written)]),
  };
}

/** The job with its SQL replaced by the row function that writes the same rows. */
const { sql: _sql, ...declared } = DOUBLE;
const DOUBLE_BY_FUNCTION = { ...declared, transform: (row: Record<string, unknown>) => ({ src_id: row.id, v2: Number(row.v) * 2 }) };

describe.each(['postgres', 'sqlite'] as const)('transformInBatchesOn (%s)', (dialect) => {
  it.each(['sql', 'row-function'] as const)(
    'resumes a job (its body: %s) killed with SIGKILL at the next batch and moves every row once, the rows the application added included',
    { timeout: 120_000 },
    async (body) => {
      const db = await database(dialect);
      const job = body === 'sql' ? DOUBLE : DOUBLE_BY_FUNCTION;
      const kill = (after: number) =>
        runChildKilledAfter(
          [CHILD, CORE_DIST, TRANSFORMER_DIST, db.target, 'backfill', JSON.stringify([DOUBLE]), body],
          (l) => l.startsWith('progress'),
          after,
        );
      let moved = 0;
      for (const after of [3, 7]) {
        const run = await kill(after);
        expect(run.signal).toBe('SIGKILL');
        const conn = await db.open();
        try {
          const now = await state(conn, 'backfill');
          // a batch commits with its cursor: what the cursor says is what the target holds, each row once
          expect(now.cursors).toEqual([['running', now.rows]]);
          expect([now.ids, now.wrong]).toEqual([now.rows, 0]);
          expect(now.rows).toBeGreaterThan(moved);
          expect(now.rows).toBeLessThan(ROWS);
          moved = now.rows;
          // the application goes on writing between the kills
          await conn.execute(`INSERT INTO src (id, v) VALUES (${ROWS + after}, ${ROWS + after}), (${ROWS + after + 100}, ${ROWS + after + 100})`);
        } finally {
          await conn.close();
        }
      }

      const conn = await db.open();
      try {
        const progress: number[] = [];
        // on PostgreSQL the application also writes from its own session while the batches run
        const app = dialect === 'postgres' ? await db.open() : undefined;
        let written: Promise<number> | undefined;
        const onProgress = (p: { done: number }) => {
          progress.push(p.done);
          written ??= app?.execute(`INSERT INTO src SELECT g, g FROM generate_series(${ROWS + 1_000}, ${ROWS + 1_019}) AS g`);
        };
        const options = { scope: 'backfill', batchSize: 100, pacing: { targetMs: 5, pauseMs: 5 }, onProgress };
        const done = await transformInBatchesOn(conn, [job], options).finally(() => app?.close());
        expect(done.resumed).toBe(true);
        expect(progress[0]).toBeGreaterThan(moved - 1);
        const total = ROWS + 4 + ((await written) ?? 0);
        expect(total).toBe(dialect === 'postgres' ? ROWS + 24 : ROWS + 4);
        expect(done.results.map((r) => [r.id, r.rows, r.validations.every((v) => v.passed)])).toEqual([['double_values', total, true]]);
        expect(await state(conn, 'backfill')).toEqual({ rows: total, ids: total, wrong: 0, cursors: [] });
        // the run lock was released: a migration may run
        await conn.lock.acquire({ timeoutMs: 1_000, command: 'test' });
        await conn.lock.release();
      } finally {
        await conn.close();
      }
    },
  );

  it('refuses bad input, keeps a failed validation’s batches for a reverse, and starts over only when asked', { timeout: 120_000 }, async () => {
    const db = await database(dialect);
    const conn = await db.open();
    try {
      const other = { ...DOUBLE, id: 'other_job' };
      const strict = { ...DOUBLE, validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: 0 }] };
      const codeOf = (p: Promise<unknown>) =>
        p.then(
          () => 'resolved',
          (e: { code?: string }) => e.code,
        );
      expect(await codeOf(transformInBatchesOn(conn, [DOUBLE], { scope: ' ' }))).toBe('USAGE');
      expect(await state(conn, ' ')).toEqual({ rows: 0, ids: 0, wrong: 0, cursors: [] });

      // a validation that fails: the batches stay, with their cursors, so that a retry moves nothing twice
      expect(await codeOf(transformInBatchesOn(conn, [strict], { scope: 'job', batchSize: 1_000 }))).toBe('VALIDATION_FAILED');
      const failed = await state(conn, 'job');
      expect([failed.rows, failed.ids, failed.cursors]).toEqual([ROWS, ROWS, [['done', ROWS]]]);
      expect(await codeOf(transformInBatchesOn(conn, [strict], { scope: 'job', batchSize: 1_000 }))).toBe('VALIDATION_FAILED');
      expect(await state(conn, 'job')).toEqual(failed);
      // another job under the same scope is refused, nothing changed
      expect(await codeOf(transformInBatchesOn(conn, [other], { scope: 'job' }))).toBe('USAGE');
      expect(await state(conn, 'job')).toEqual(failed);

      // taken back out, then started over
      await conn.transaction(() => reverseTransformationsOn(conn, [DOUBLE]));
      const again = await transformInBatchesOn(conn, [DOUBLE], { scope: 'job', batchSize: 1_000, restart: true });
      expect([again.resumed, again.results[0]!.rows]).toEqual([false, ROWS]);
      expect(await state(conn, 'job')).toEqual({ rows: ROWS, ids: ROWS, wrong: 0, cursors: [] });
    } finally {
      await conn.close();
    }
  });
});

describe('transformInBatchesOn (postgres, an application transaction open at the start)', () => {
  it("bounds the start's wait for its SHARE lock by the job's lockWait, fails with TRANSFORMATION_FAILED having moved nothing, and goes on once the writer commits", async () => {
    const db = await database('postgres');
    const app = await openTransaction(db.target, `INSERT INTO src (id, v) VALUES (${ROWS + 1}, ${ROWS + 1})`);
    const conn = await db.open();
    try {
      const lockWait = { lockTimeoutMs: 200, retries: 1, retryDelayMs: 50, maxDelayMs: 50 };
      const started = performance.now();
      const refused = await transformInBatchesOn(conn, [DOUBLE_BY_FUNCTION], { scope: 'late', lockWait }).then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      );
      expect(refused).toBe('TRANSFORMATION_FAILED');
      // two waits of 200 ms, not 5 of the migrations' 2 s
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await state(conn, 'late')).toEqual({ rows: 0, ids: 0, wrong: 0, cursors: [['pending', 0]] });
      await conn.lock.acquire({ timeoutMs: 1_000, command: 'test' });
      await conn.lock.release();

      await app.commit();
      const done = await transformInBatchesOn(conn, [DOUBLE_BY_FUNCTION], { scope: 'late', lockWait });
      expect([done.resumed, done.results[0]!.rows]).toEqual([true, ROWS + 1]);
      expect(await state(conn, 'late')).toEqual({ rows: ROWS + 1, ids: ROWS + 1, wrong: 0, cursors: [] });
    } finally {
      await conn.close();
    }
  });
});

describe('transformInBatchesOn (postgres, an application transaction open at the end)', () => {
  it(
    'bounds the final wait for its SHARE locks behind an open application transaction, keeps the batches, and finishes on the next call',
    { timeout: 120_000 },
    async () => {
      const db = await database('postgres');
      const conn = await db.open();
      try {
        // once the batches run, the application opens a write on the source and keeps it open: the final transaction cannot lock it
        let app: Promise<{ commit(): Promise<void> }> | undefined;
        const onProgress = () => void (app ??= openTransaction(db.target, `INSERT INTO src (id, v) VALUES (${ROWS + 1}, ${ROWS + 1})`));
        const lockWait = { lockTimeoutMs: 200, retries: 1, retryDelayMs: 50, maxDelayMs: 50 };
        const pacing = { targetMs: 5, pauseMs: 20 };
        // the application's transaction stays open until after this returns: a wait behind it that
        // the lockWait did not bound would never end (the test's timeout), so returning proves it
        const refused = await transformInBatchesOn(conn, [DOUBLE], { scope: 'held', batchSize: 500, pacing, lockWait, onProgress }).then(
          () => 'resolved',
          (e: { code?: string }) => e.code,
        );
        expect(refused).toBe('TRANSFORMATION_FAILED');
        const kept = await state(conn, 'held');
        expect([kept.rows, kept.ids, kept.cursors]).toEqual([ROWS, ROWS, [['done', ROWS]]]);
        // the run lock was released
        await conn.lock.acquire({ timeoutMs: 1_000, command: 'test' });
        await conn.lock.release();

        await (await app)!.commit();
        const done = await transformInBatchesOn(conn, [DOUBLE], { scope: 'held', lockWait });
        expect([done.resumed, done.results[0]!.rows]).toEqual([true, ROWS + 1]);
        expect(await state(conn, 'held')).toEqual({ rows: ROWS + 1, ids: ROWS + 1, wrong: 0, cursors: [] });
      } finally {
        await conn.close();
      }
    },
  );
});
