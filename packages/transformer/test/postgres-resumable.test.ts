import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type PostgresConnection, loadMigrations, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempTree, withClient } from '@mfmig/test-support';
import { createConnectionTransformer } from '../src/index.js';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const SCHEMA = `export async function up(db) {
  await db.schema.createTable('src').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'integer').execute();
  await db.schema.createTable('dst').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v2', 'integer').execute();
  await db.schema.createTable('tags').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('tag', 'text').execute();
}`;

/** A copy over `src` (batch policy `policy`), then a row function tagging what it copied; `expect` is the copy's validation. */
function moveMigration(policy: string, expectRows: string): string {
  return `export const transformations = [
  { id: 'copy_src', name: 'copy', sourceTable: 'src', targetTable: 'dst', transformationType: 'convert', batch: '${policy}',
    sql: 'INSERT INTO dst (id, v2) SELECT id, v * 2 FROM src', reversible: true, reverse: 'DELETE FROM dst', dependencies: [],
    validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: ${expectRows} }] },
  { id: 'tag_dst', name: 'tag', sourceTable: 'dst', targetTable: 'tags', transformationType: 'convert', dependencies: ['copy_src'],
    transform: (row) => ({ id: row.id, tag: 'v' + row.v2 }), reversible: false, validationQueries: [] },
];
export async function up() {}
export async function down() {}`;
}

/** Extras of a {@link run}: a stop request, the source's rows as SQL, and work beside the run (it starts with it). */
interface RunExtras {
  stop?: AbortController;
  seed?: string;
  beside?: (url: string) => Promise<void>;
  /** Every progress event of the run. */
  progress?: (p: { operation: string; done: number; total: number }) => void;
  /** The run's lock-wait policy (its DDL's, and its moves' starts). */
  lockWait?: { lockTimeoutMs: number; retries: number };
}

async function run(files: Record<string, string>, rows: number, threshold: number, extras: RunExtras = {}) {
  const { stop } = extras;
  const url = await scratchDatabase();
  const conn = await openPostgres(url);
  const migrator = (set: Record<string, string>) =>
    loadMigrations(tempTree(set)).then(
      (migrations) =>
        new DialectMigrator({
          connection: conn,
          migrations,
          participants: [createConnectionTransformer({ batchThreshold: threshold, batchSize: 100, pacing: { targetMs: 100, pauseMs: 0 } })],
          ...(extras.lockWait ? { lockWait: extras.lockWait } : {}),
        }),
    );
  const first = await (await migrator({ 'mvp1/0001_schema.ts': SCHEMA })).migrate();
  expect(first.error).toBeUndefined();
  await conn.execute(extras.seed ?? `INSERT INTO src SELECT g, g FROM generate_series(1, ${rows}) AS g`);
  const m = await migrator({ 'mvp1/0001_schema.ts': SCHEMA, ...files });
  // a stop request (Ctrl+C) once the copy has moved 200 rows
  if (extras.progress) m.events.on('operationProgress', extras.progress);
  if (stop) m.events.on('operationProgress', (p) => p.operation === 'transform copy_src' && p.done >= 200 && stop.abort());
  const [result] = await Promise.all([m.migrate({ latest: true }, stop ? { signal: stop.signal } : {}), extras.beside?.(url)]);
  return { conn, url, m, result };
}

const scalar = async (conn: PostgresConnection, sql: string) => Object.values((await conn.query(sql))[0]!)[0];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The application's transaction on `url`: once `ready` says so, it inserts `row` into src and
 * stays open until the run has recorded its failure (a `migration-failed` audit row), then commits.
 */
type AppClient = { query(sql: string): Promise<{ rows: Record<string, unknown>[] }> };
const holdSrcUntilFailed =
  (row: number, ready: (app: AppClient) => Promise<boolean> = async () => true) =>
  (url: string) =>
    withClient(url, async (app) => {
      while (!(await ready(app))) await pause(20);
      await app.query('BEGIN');
      await app.query(`INSERT INTO src VALUES (${row}, ${row})`);
      await withClient(url, async (watch) => {
        const failed = async () => (await watch.query(`SELECT count(*)::int AS n FROM mfmig_audit WHERE action = 'migration-failed'`)).rows[0]!.n > 0;
        while (!(await failed())) await pause(50);
      });
      await app.query('COMMIT');
    });

describe('continued transformations on PostgreSQL (DialectMigrator)', () => {
  it('continues an auto transformation over the threshold in batches, and the row function after it in batches too', async () => {
    const { conn, result } = await run({ 'mvp1/0002_move.ts': moveMigration('auto', "{ query: 'SELECT count(*) FROM src' }") }, 1000, 500);
    try {
      expect(result.error).toBeUndefined();
      const copy = result.reports.find((r) => r.id === 'copy_src')!;
      expect([copy.rows, (copy.batches as number) >= 10]).toEqual([1000, true]);
      const tag = result.reports.find((r) => r.id === 'tag_dst')!;
      // committed pages of 100 rows or more, each with its cursor, not one pass in the final transaction
      expect([tag.rows, (tag.batches as number) >= 2]).toEqual([1000, true]);
      expect(await scalar(conn, `SELECT count(*)::int FROM tags t JOIN src s ON s.id = t.id WHERE t.tag = 'v' || (s.v * 2)`)).toBe(1000);
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('applied');
      expect(await scalar(conn, `SELECT rows::int FROM mfmig_history WHERE version = 2`)).toBe(2000);
      expect(await scalar(conn, 'SELECT count(*)::int FROM mfmig_transform_cursors')).toBe(0);
    } finally {
      await conn.close();
    }
  });

  it('reports the continued move in keys, so that its progress reaches its total over a source with gaps in its keys', async () => {
    const seen: { done: number; total: number }[] = [];
    const { conn, result } = await run({ 'mvp1/0002_move.ts': moveMigration('always', "{ query: 'SELECT count(*) FROM src' }") }, 1000, 10_000, {
      // 1,000 rows over the keys 3 to 3,000: every third key
      seed: 'INSERT INTO src SELECT g * 3, g FROM generate_series(1, 1000) AS g',
      progress: (p) => p.operation === 'transform copy_src' && seen.push({ done: p.done, total: p.total }),
    });
    try {
      expect(result.error).toBeUndefined();
      expect(result.reports.find((r) => r.id === 'copy_src')!.rows).toBe(1000);
      expect(seen.length).toBeGreaterThan(5);
      expect(new Set(seen.map((p) => p.total))).toEqual(new Set([2998]));
      expect(seen.every((p, i) => i === 0 || p.done >= seen[i - 1]!.done)).toBe(true);
      expect(seen.at(-1)!.done).toBe(2998);
    } finally {
      await conn.close();
    }
  });

  it('runs an auto transformation under the threshold in the migration transaction, with no cursor table', async () => {
    const { conn, url, result } = await run({ 'mvp1/0002_move.ts': moveMigration('auto', "{ query: 'SELECT count(*) FROM src' }") }, 300, 500);
    try {
      expect(result.error).toBeUndefined();
      expect(result.reports.find((r) => r.id === 'copy_src')!.rows).toBe(300);
      const exists = await withClient(url, async (c) => (await c.query(`SELECT to_regclass('mfmig_transform_cursors') IS NOT NULL AS ok`)).rows[0].ok);
      expect(exists).toBe(false);
    } finally {
      await conn.close();
    }
  });

  it('counts in the history row the rows of a transformation that ran before the continued one, as SQLite does', async () => {
    const move = `export const transformations = [
  { id: 'tag_src', name: 'tag', sourceTable: 'src', targetTable: 'tags', transformationType: 'convert', batch: 'never',
    sql: "INSERT INTO tags (id, tag) SELECT id, 'v' || v FROM src", reversible: false, dependencies: [], validationQueries: [] },
  { id: 'copy_src', name: 'copy', sourceTable: 'src', targetTable: 'dst', transformationType: 'convert', batch: 'always',
    sql: 'INSERT INTO dst (id, v2) SELECT id, v * 2 FROM src', reversible: false, dependencies: ['tag_src'], validationQueries: [] },
];
export async function up() {}`;
    const { conn, result } = await run({ 'mvp1/0002_move.ts': move }, 300, 10_000);
    try {
      expect(result.error).toBeUndefined();
      expect(result.reports.find((r) => r.id === 'copy_src')!.batches).toBeGreaterThan(1);
      expect(await scalar(conn, `SELECT rows::int FROM mfmig_history WHERE version = 2`)).toBe(600);
      expect(result.results.find((r) => r.version === 2)!.rows).toBe(600);
    } finally {
      await conn.close();
    }
  });

  it('stops between batches when the run is interrupted, leaving it partial, and the next migrate resumes from the cursor', async () => {
    const { conn, m, result } = await run({ 'mvp1/0002_move.ts': moveMigration('always', "{ query: 'SELECT count(*) FROM src' }") }, 1000, 10_000, {
      stop: new AbortController(),
    });
    try {
      expect(result.error).toMatchObject({ code: 'INTERRUPTED' });
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('partial');
      const [cursor] = await conn.query<{ status: string; rows_read: string }>(
        `SELECT status, rows_read FROM mfmig_transform_cursors WHERE transformation_id = 'copy_src'`,
      );
      expect(cursor!.status).toBe('running');
      const moved = Number(cursor!.rows_read);
      expect(moved).toBeGreaterThanOrEqual(200);
      expect(moved).toBeLessThan(1000);
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst')).toBe(moved);
      // as on SQLite, an interrupt is not a failure: status shows the partial step only, and the audit has no failure
      expect((await m.status()).problems.map((p) => [p.code, p.version])).toEqual([['PARTIAL', 2]]);
      expect(await scalar(conn, `SELECT count(*)::int FROM mfmig_audit WHERE action = 'migration-failed'`)).toBe(0);

      const again = await m.migrate();
      expect(again.error).toBeUndefined();
      expect(again.results.map((r) => [r.version, r.status])).toEqual([[2, 'Success']]);
      expect(again.reports.find((r) => r.id === 'copy_src')!.rows).toBe(1000);
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst d JOIN src s ON s.id = d.id AND d.v2 = s.v * 2')).toBe(1000);
      expect(await scalar(conn, 'SELECT count(*)::int FROM tags')).toBe(1000);
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('applied');
    } finally {
      await conn.close();
    }
  });

  it("leaves the move partial when its start waits too long behind the application's transaction, and the next migrate finishes it", async () => {
    // the application's transaction holds src from before the move's start until the run has given up
    const beside = holdSrcUntilFailed(1001);
    // the run's lock wait (300 ms, one retry) bounds the move's start, as it bounds the run's DDL
    const lockWait = { lockTimeoutMs: 300, retries: 1 };
    const { conn, m, result } = await run({ 'mvp1/0002_move.ts': moveMigration('always', "{ query: 'SELECT count(*) FROM src' }") }, 1000, 10_000, {
      beside,
      lockWait,
    });
    try {
      expect(result.error).toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringContaining('past 300 ms, 2 times') });
      // nothing is taken back out for a lock wait: the step stays partial, its cursors pending
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('partial');
      expect(await scalar(conn, `SELECT status FROM mfmig_transform_cursors WHERE transformation_id = 'copy_src'`)).toBe('pending');
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst')).toBe(0);

      const again = await m.migrate();
      expect(again.error).toBeUndefined();
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst d JOIN src s ON s.id = d.id AND d.v2 = s.v * 2')).toBe(1001);
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('applied');
    } finally {
      await conn.close();
    }
  });

  it("keeps every committed batch when the final transaction waits too long behind the application's transaction, and finishes the move next time", async () => {
    // once the batches are under way, the application's transaction writes to src and stays open until the run has given up
    const beside = holdSrcUntilFailed(20_001, async (app) => {
      if ((await app.query(`SELECT to_regclass('dst') IS NULL AS none`)).rows[0]!.none) return false;
      return ((await app.query('SELECT count(*)::int AS n FROM dst')).rows[0]!.n as number) >= 500;
    });
    const lockWait = { lockTimeoutMs: 300, retries: 1 };
    const { conn, m, result } = await run({ 'mvp1/0002_move.ts': moveMigration('always', "{ query: 'SELECT count(*) FROM src' }") }, 20_000, 10_000, {
      beside,
      lockWait,
    });
    try {
      expect(result.error).toMatchObject({ code: 'MIGRATION_FAILED' });
      // every batch stays: the step is partial, its cursor past the last key, its rows in dst
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('partial');
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst')).toBe(20_000);

      const again = await m.migrate();
      expect(again.error).toBeUndefined();
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst d JOIN src s ON s.id = d.id AND d.v2 = s.v * 2')).toBe(20_001);
      expect(await scalar(conn, 'SELECT count(*)::int FROM tags')).toBe(20_001);
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('applied');
    } finally {
      await conn.close();
    }
  });

  it('waits for a write under way below the end key before the batches pass it, so its row is moved too', async () => {
    // keys 1-400 and 601-1000; the application's open transaction holds key 500 when the run starts
    const seed = 'INSERT INTO src SELECT g, g FROM generate_series(1, 1000) AS g WHERE g <= 400 OR g > 600';
    const beside = (url: string) =>
      withClient(url, async (app) => {
        await app.query('BEGIN');
        await app.query('INSERT INTO src VALUES (500, 500)');
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await app.query('COMMIT');
      });
    const { conn, result } = await run({ 'mvp1/0002_move.ts': moveMigration('always', "{ query: 'SELECT count(*) FROM src' }") }, 0, 10_000, { seed, beside });
    try {
      expect(result.error).toBeUndefined();
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst')).toBe(801);
      expect(await scalar(conn, 'SELECT v2 FROM dst WHERE id = 500')).toBe(1000);
    } finally {
      await conn.close();
    }
  });

  it('runs an aggregate over a source above the threshold whole, never per batch, so that each group is counted once', async () => {
    const totals = `export const transformations = [
  { id: 'totals', name: 'totals', sourceTable: 'src', targetTable: 'totals', transformationType: 'convert',
    sql: 'INSERT INTO totals (g, n, lo) SELECT v % 7, count(*), min(id) FROM src GROUP BY v % 7', reversible: true, reverse: 'DELETE FROM totals',
    dependencies: [], validationQueries: [] },
];
export async function up(db) {
  await db.schema.createTable('totals').addColumn('g', 'integer', (c) => c.primaryKey()).addColumn('n', 'integer').addColumn('lo', 'integer').execute();
}
export async function down(db) { await db.schema.dropTable('totals').execute(); }`;
    const { conn, result } = await run({ 'mvp1/0002_totals.ts': totals }, 1000, 500);
    try {
      expect(result.error).toBeUndefined();
      const whole = await conn.query('SELECT v % 7 AS g, count(*)::int AS n, min(id)::int AS lo FROM src GROUP BY v % 7 ORDER BY 1');
      expect(await conn.query('SELECT g, n, lo FROM totals ORDER BY g')).toEqual(whole);
      expect(await scalar(conn, 'SELECT sum(n)::int FROM totals')).toBe(1000);
      expect(await scalar(conn, `SELECT status FROM mfmig_history WHERE version = 2`)).toBe('applied');
    } finally {
      await conn.close();
    }
  });
});
