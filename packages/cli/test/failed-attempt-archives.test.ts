import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases } from '@mfmig/test-support';
import { type DialectRunResult, DialectMigrator, SqliteConnection, loadMigrations, openDatabase, openPostgres } from '@mfmig/core';
import { createConnectionTransformer } from '@mfmig/framework';
import { createConnectionPreservation } from '@mfmig/rollback';
import { type Target, mfmig, postgresTarget, sha256File, sqlMigration, sqliteTarget, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

/**
 * A module step that makes `dst` and copies `src` into it in batches (`titleSql` of each title,
 * `where` to page the copy by key), checked by `expectation` after the batches: the same file runs
 * on SQLite and PostgreSQL.
 */
const copyStep = (titleSql: string, expectation: string, where = '') => `export const transformations = [{
  id: 'copy_src', name: 'copy', sourceTable: 'src', targetTable: 'dst', transformationType: 'convert', batch: 'always', batchSize: 50,
  sql: 'INSERT INTO dst (id, title) SELECT id, ${titleSql} FROM src${where}', reversible: true, reverse: 'DELETE FROM dst', dependencies: [],
  validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: ${expectation}, message: 'the copy is complete' }],
}];
export async function up(db) {
  await db.schema.createTable('dst').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('title', 'text', (c) => c.notNull()).execute();
}
export async function down(db) {
  await db.schema.dropTable('dst').execute();
}`;

/** Archives waiting to be put back (held ones aside), and those already put back, from the dialect's registry. */
const ARCHIVES: Record<string, string> = {
  sqlite:
    "SELECT count(*) FILTER (WHERE status = 'archived' AND held = 0) AS waiting, count(*) FILTER (WHERE status = 'restored') AS restored FROM mfmig_archives",
  postgres:
    'SELECT count(*) FILTER (WHERE restored_at IS NULL AND NOT held)::int AS waiting, count(*) FILTER (WHERE restored_at IS NOT NULL)::int AS restored FROM mfmig_archive.archives',
};

describe.each(['sqlite', 'postgres'] as const)('a failed attempt taken back out puts none of its own output back (%s)', (dialect) => {
  it('the fixed migration gives its own rows, and the rows an earlier rollback archived still come back', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const db = dialect === 'sqlite' ? await sqliteTarget(dir) : await postgresTarget();
    const cli = (...args: string[]) => mfmig(dir, [...db.args, '--json', ...args]);
    const step = (file: string, text: string) => {
      for (const old of ['0002_copy.mjs', '0002_copy_wrong.mjs', '0002_copy_fixed.mjs']) rmSync(join(dir, 'migrations/mvp1', old), { force: true });
      writeMigrations(dir, { [`mvp1/${file}`]: text });
    };
    writeMigrations(dir, { 'mvp1/0001_src.sql': sqlMigration('CREATE TABLE src (id integer PRIMARY KEY, title text NOT NULL);', 'DROP TABLE src;') });
    expect(cli('migrate').code).toBe(0);
    for (let i = 1; i <= 300; i += 100) {
      const values = Array.from({ length: 100 }, (_, k) => `(${i + k}, 'entry ${i + k}')`).join(', ');
      await db.query(`INSERT INTO src (id, title) VALUES ${values}`);
    }
    step('0002_copy.mjs', copyStep('title', "'sourceCount'"));
    expect(cli('migrate').code).toBe(0);
    // a row only the application wrote, then a rollback that archives dst whole
    await db.query("INSERT INTO dst (id, title) VALUES (1000, 'written by the app')");
    const down = cli('--yes', 'rollback', '--to', '1');
    expect(down.code, down.stderr).toBe(0);
    expect(await db.query(ARCHIVES[dialect]!)).toEqual([{ waiting: 1, restored: 0 }]);

    // an edited step whose copy is wrong and whose check fails after the batches committed: taken back out
    step('0002_copy_wrong.mjs', copyStep('upper(title)', '{ max: 10 }'));
    const failed = cli('migrate');
    expect(failed.code).not.toBe(0);
    expect(Number((await db.query('SELECT count(*) AS n FROM src'))[0]!.n)).toBe(300);
    // nothing of the wrong copy waits to be put back; the earlier archive still waits
    expect(await db.query(ARCHIVES[dialect]!)).toEqual([{ waiting: 1, restored: 0 }]);

    step('0002_copy_fixed.mjs', copyStep('title', "'sourceCount'"));
    const fixed = cli('migrate');
    expect(fixed.code, fixed.stderr).toBe(0);
    const wrong = await db.query('SELECT count(*) AS n FROM dst d JOIN src s ON s.id = d.id WHERE d.title <> s.title');
    expect(Number(wrong[0]!.n)).toBe(0);
    expect((await db.query('SELECT title FROM dst WHERE id = 1000')).map((r) => r.title)).toEqual(['written by the app']);
    expect(Number((await db.query('SELECT count(*) AS n FROM dst'))[0]!.n)).toBe(301);
    expect(await db.query(ARCHIVES[dialect]!)).toEqual([{ waiting: 0, restored: 1 }]);
  });
});

/** Pages the copy by key: on both dialects its batches then commit one by one, each with its cursor. */
const BY_KEY = ' WHERE id > @batchStart AND id <= @batchEnd';
const SOURCE_ROWS = 4000;

/**
 * Runs the migrations of `dir` through DialectMigrator, as an application's own code does, with
 * the transformer and preservation; `stopAfter` aborts the run once that many rows were copied
 * (the step is then left partial between two batches).
 */
async function runMigrator(dialect: 'sqlite' | 'postgres', db: Target, dir: string, stopAfter?: number): Promise<DialectRunResult> {
  const conn = dialect === 'sqlite' ? new SqliteConnection(openDatabase(db.args[1]!)) : await openPostgres(db.args[1]!);
  try {
    const runner = new DialectMigrator({
      connection: conn,
      migrations: await loadMigrations(join(dir, 'migrations'), { dialect }),
      participants: [createConnectionTransformer({ pacing: { targetMs: 1000, pauseMs: 0 } }), createConnectionPreservation()],
    });
    const stop = new AbortController();
    if (stopAfter !== undefined) runner.events.on('operationProgress', (p) => p.operation === 'transform copy_src' && p.done >= stopAfter && stop.abort());
    return await runner.migrate(undefined, { signal: stop.signal });
  } finally {
    await conn.close();
  }
}

const count = async (db: Target, sql: string) => Number((await db.query(sql))[0]!.n);

describe.each(['sqlite', 'postgres'] as const)('rows the application wrote into a failed attempt are kept, and can be put back (%s)', (dialect) => {
  it(
    'a step stopped mid-copy, written to by the application, then taken back out: its tables are archived and held; migrate never puts them back, archives --restore puts back the free keys',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      const db = dialect === 'sqlite' ? await sqliteTarget(dir) : await postgresTarget();
      const cli = (...args: string[]) => mfmig(dir, [...db.args, '--json', ...args]);
      writeMigrations(dir, { 'mvp1/0001_src.sql': sqlMigration('CREATE TABLE src (id integer PRIMARY KEY, title text NOT NULL);', 'DROP TABLE src;') });
      expect(cli('migrate').code).toBe(0);
      const values = Array.from({ length: SOURCE_ROWS }, (_, k) => `(${k + 1}, 'entry ${k + 1}')`).join(', ');
      await db.query(`INSERT INTO src (id, title) VALUES ${values}`);

      // a copy that commits batch by batch, checked against the source at the end: stopped part-way, it is left partial
      writeMigrations(dir, { 'mvp1/0002_copy.mjs': copyStep('title', "'sourceCount'", BY_KEY) });
      expect((await runMigrator(dialect, db, dir, 50)).error).toMatchObject({ code: 'INTERRUPTED' });
      expect((await db.query('SELECT status FROM mfmig_history WHERE version = 2')).map((r) => r.status)).toEqual(['partial']);
      // the application writes into the new table meanwhile
      await db.query("INSERT INTO dst (id, title) VALUES (100000, 'written by the app')");
      const inDst = await count(db, 'SELECT count(*) AS n FROM dst');
      expect(inDst).toBeLessThan(SOURCE_ROWS);

      // the next run finishes the copy; its check fails (one row more than the source), and its down takes the attempt back out
      expect((await runMigrator(dialect, db, dir)).error).toBeDefined();
      expect(await db.query('SELECT version FROM mfmig_history WHERE version = 2')).toEqual([]);
      const listed = cli('archives');
      expect(listed.code, listed.stderr).toBe(0);
      const archives = (listed.json as { archives: { id: number; table: string; status: string; rows: number; location: string }[] }).archives;
      expect(archives.map((a) => [a.table, a.status])).toEqual([['dst', 'held']]);
      expect((cli('status').json as { archives: unknown }).archives).toEqual({ waiting: 0, held: 1 });
      expect(archives[0]!.rows).toBe(SOURCE_ROWS + 1);
      const kept = `SELECT title FROM ${archives[0]!.location} WHERE id = 100000`;
      expect((await db.query(kept)).map((r) => r.title)).toEqual(['written by the app']);

      // mfmig migrate runs the step again: the held archive is not put back over its rows, and still holds the application's row
      const again = cli('--yes', 'migrate');
      expect(again.code, again.stderr).toBe(0);
      expect(await count(db, 'SELECT count(*) AS n FROM dst')).toBe(SOURCE_ROWS);
      expect(await count(db, 'SELECT count(*) AS n FROM dst WHERE id = 100000')).toBe(0);
      expect((cli('archives').json as { archives: { status: string }[] }).archives.map((a) => a.status)).toEqual(['held']);
      expect((await db.query(kept)).map((r) => r.title)).toEqual(['written by the app']);

      // put back by hand: only the rows whose key is free go in; a row the table holds with other values stays in the archive
      await db.query("UPDATE dst SET title = 'edited live' WHERE id = 1");
      const id = String(archives[0]!.id);
      const file = dialect === 'sqlite' ? db.args[1]! : undefined;
      const before = file && sha256File(file);
      const unknown = cli('archives', '--restore', '999');
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
      if (file) expect(sha256File(file)).toBe(before);
      expect(await count(db, 'SELECT count(*) AS n FROM dst')).toBe(SOURCE_ROWS);
      const put = cli('archives', '--restore', id);
      expect(put.code, put.stderr).toBe(0);
      expect(put.json).toMatchObject({ restored: [{ inserted: 1, kept: 1, status: 'kept', table: 'dst' }] });
      const titles = await db.query('SELECT title FROM dst WHERE id IN (1, 100000) ORDER BY id');
      expect(titles.map((r) => r.title)).toEqual(['edited live', 'written by the app']);
      const left = (cli('archives').json as { archives: { status: string; rows: number }[] }).archives;
      expect(left.map((a) => [a.status, a.rows])).toEqual([['held', 1]]);
      expect((await db.query(`SELECT id, title FROM ${archives[0]!.location}`)).map((r) => [Number(r.id), r.title])).toEqual([[1, 'entry 1']]);
      // the live row is set back: the archive holds nothing the table lacks, and is marked restored
      await db.query("UPDATE dst SET title = 'entry 1' WHERE id = 1");
      expect(cli('archives', '--restore', id).json).toMatchObject({ restored: [{ inserted: 0, kept: 0, status: 'restored' }] });
      expect((cli('archives').json as { archives: unknown[] }).archives).toEqual([]);
      expect((cli('archives', '--all').json as { archives: { status: string }[] }).archives.map((a) => a.status)).toEqual(['restored']);
      expect(await count(db, 'SELECT count(*) AS n FROM dst')).toBe(SOURCE_ROWS + 1);
    },
  );
});
