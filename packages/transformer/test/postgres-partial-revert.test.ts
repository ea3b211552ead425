import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type PostgresConnection, loadMigrations, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempTree } from '@mfmig/test-support';
import { createConnectionTransformer } from '../src/index.js';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const SCHEMA = `export async function up(db) {
  await db.schema.createTable('src').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'integer').execute();
}
export async function down(db) { await db.schema.dropTable('src').execute(); }`;

/**
 * Creates `dst` (its schema change) and moves `src` into it in committed batches (`batch: 'always'`),
 * checked by `expectRows`; the reverse empties `dst`, and the down (unless `down` is false) drops it.
 */
function moveMigration(expectRows: string, down = true): string {
  return `export const transformations = [
  { id: 'copy_src', name: 'copy', sourceTable: 'src', targetTable: 'dst', transformationType: 'convert', batch: 'always',
    sql: 'INSERT INTO dst (id, v2) SELECT id, v * 2 FROM src', reversible: true, reverse: 'DELETE FROM dst', dependencies: [],
    validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: ${expectRows} }] },
];
export async function up(db) {
  await db.schema.createTable('dst').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v2', 'integer').execute();
}
${down ? "export async function down(db) { await db.schema.dropTable('dst').execute(); }" : ''}`;
}

const scalar = async (conn: PostgresConnection, sql: string) => Object.values((await conn.query(sql))[0]!)[0];

/** What must be as before a migration that was taken back out: the schema, every user table's rows, mfmig's rows. */
async function state(conn: PostgresConnection) {
  const tables = (await conn.introspector.tables()).map((t) => t.name).sort();
  const rows: Record<string, unknown> = {};
  for (const t of tables) rows[t] = (await conn.query(`SELECT count(*)::int AS n, coalesce(sum(id), 0)::int AS ids FROM "${t}"`))[0];
  const cursors = (await conn.query<{ ok: boolean }>(`SELECT to_regclass('mfmig_transform_cursors') IS NOT NULL AS ok`))[0]!.ok
    ? await scalar(conn, 'SELECT count(*)::int FROM mfmig_transform_cursors')
    : 0;
  const history = (await conn.history.list()).map((h) => [h.version, h.status]);
  return { schema: await conn.introspector.schemaFingerprint(), tables, rows, cursors, history };
}

/** A database at version 1 with `rows` source rows, its state, and a migrator of version 1 and `move`. */
async function atVersionOne(move: string, rows: number) {
  const url = await scratchDatabase();
  const conn = await openPostgres(url);
  const migrator = async (files: Record<string, string>) =>
    new DialectMigrator({
      connection: conn,
      migrations: await loadMigrations(tempTree(files)),
      participants: [createConnectionTransformer({ batchThreshold: 10_000, batchSize: 100, pacing: { targetMs: 100, pauseMs: 0 } })],
    });
  expect((await (await migrator({ 'mvp1/0001_schema.ts': SCHEMA })).migrate()).error).toBeUndefined();
  await conn.execute(`INSERT INTO src SELECT g, g FROM generate_series(1, ${rows}) AS g`);
  const before = await state(conn);
  return { conn, before, m: await migrator({ 'mvp1/0001_schema.ts': SCHEMA, 'mvp1/0002_move.ts': move }) };
}

describe('a continued PostgreSQL transformation that fails or is abandoned (DialectMigrator)', () => {
  it('takes the migration back out with its down when its final validation fails, as SQLite does, and fails the same way again', async () => {
    const { conn, before, m } = await atVersionOne(moveMigration("'zero'"), 400);
    try {
      const result = await m.migrate();
      expect(result.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(result.results.map((r) => [r.version, r.status])).toEqual([[2, 'Error']]);
      expect(await state(conn)).toEqual(before);
      const status = await m.status();
      expect(status.problems.map((p) => [p.code, p.version])).toEqual([['MIGRATION_FAILED', 2]]);
      expect(status.pending.map((p) => p.version)).toEqual([2]);

      const again = await m.migrate();
      expect(again.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await state(conn)).toEqual(before);
    } finally {
      await conn.close();
    }
  });

  it('leaves a failed migration without a down partial, and the next migrate fails it again instead of marking it applied', async () => {
    const { conn, m } = await atVersionOne(moveMigration("'zero'", false), 400);
    try {
      expect((await m.migrate()).error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await scalar(conn, 'SELECT status FROM mfmig_history WHERE version = 2')).toBe('partial');
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst')).toBe(400);

      const again = await m.migrate();
      expect(again.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(again.results.map((r) => [r.version, r.status])).toEqual([[2, 'Error']]);
      expect(await scalar(conn, 'SELECT status FROM mfmig_history WHERE version = 2')).toBe('partial');
      expect((await m.status()).problems.map((p) => [p.code, p.version])).toContainEqual(['PARTIAL', 2]);
    } finally {
      await conn.close();
    }
  });

  it('keeps an interrupted move partial; rolling it back then removes its rows, schema change, cursor and history row', async () => {
    const { conn, before, m } = await atVersionOne(moveMigration("{ query: 'SELECT count(*) FROM src' }"), 1000);
    try {
      const stop = new AbortController();
      m.events.on('operationProgress', (p) => p.operation === 'transform copy_src' && p.done >= 200 && stop.abort());
      expect((await m.migrate({ latest: true }, { signal: stop.signal })).error).toMatchObject({ code: 'INTERRUPTED' });
      expect(await scalar(conn, 'SELECT status FROM mfmig_history WHERE version = 2')).toBe('partial');
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst')).toBeGreaterThanOrEqual(200);

      const down = await m.rollback({ steps: 1 });
      expect(down.error).toBeUndefined();
      expect(down.results.map((r) => [r.version, r.status])).toEqual([[2, 'Success']]);
      expect(await state(conn)).toEqual(before);

      const up = await m.migrate();
      expect(up.error).toBeUndefined();
      expect(await scalar(conn, 'SELECT count(*)::int FROM dst d JOIN src s ON s.id = d.id AND d.v2 = s.v * 2')).toBe(1000);
    } finally {
      await conn.close();
    }
  });
});
