import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { startAppWriter } from '@mfmig/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTransformer, createConnectionTransformer, createTransformerPlugin } from '../src/index.js';
import { BEST_PER_GROUP, createScores, expectedBest, registerSpin } from './fixtures/staged-query.js';
import { tempDir } from './helpers.js';
import type { PreparedUnit } from '../src/run/prepared-unit.js';
import { stagedPlanOf } from '../src/run/staged-unit.js';

const CHILD = resolve(import.meta.dirname, 'fixtures/staged-child.mjs');
const SOURCE_INDEX = resolve(import.meta.dirname, '../src/index.ts');
const JITI = createRequire(resolve(import.meta.dirname, '../../core/package.json')).resolve('jiti');

const watchObjects = (db: Database.Database) =>
  db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'mfmig_watch' OR name LIKE 'mfmig\\_watch\\_%' ESCAPE '\\'`).pluck().all();
const best = (db: Database.Database) => db.prepare('SELECT grp, score_id FROM best ORDER BY grp').all();

describe.each(['wal', 'delete'] as const)('a one-batch INSERT ... SELECT, journal mode %s (staged outside the write lock)', (journalMode) => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  /** A migrations folder whose one migration declares the query. */
  function bestMigrationFolder(): string {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFileSync(
      join(dir, '0001_best.ts'),
      `export const transformations = [${JSON.stringify(BEST_PER_GROUP)}];\nexport function up() {}\nexport function down() {}\n`,
    );
    return dir;
  }

  function database(): { path: string; db: Database.Database } {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'scores.db');
    const db = new Database(path);
    cleanups.unshift(() => db.close());
    createScores(db, journalMode);
    return { path, db };
  }

  /** An application inserting every 10 ms that gives up after 500 ms; the query alone takes about 1.6 s. */
  function impatientApp(path: string) {
    return startAppWriter({ db: path, sql: 'INSERT INTO app_log (tick) VALUES (@tick)', params: { tick: '$tick' }, intervalMs: 10, busyTimeoutMs: 500 });
  }

  async function runBeside(stageQueries: boolean) {
    const { path, db } = database();
    registerSpin(db);
    const app = await impatientApp(path);
    const report = await new DataTransformer({ database: db }, { stageQueries }).execute(BEST_PER_GROUP);
    const writes = await app.stop();
    return { db, report, writes };
  }

  it('lets the application keep writing while the query runs, and inserts what the query gives', async () => {
    const { db, report, writes } = await runBeside(true);
    expect(writes.failed, JSON.stringify(writes.failed.slice(0, 3))).toEqual([]);
    expect(writes.writes.length).toBeGreaterThan(50);
    expect(best(db)).toEqual(expectedBest(db));
    expect(report.results[0]!.rowsWritten).toBe(20);
    expect(watchObjects(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM app_log').pluck().get()).toBe(writes.writes.length);
  });

  it('locks the application out when staging is off (the same query in one write transaction)', async () => {
    const { db, writes } = await runBeside(false);
    expect(writes.failed.length).toBeGreaterThan(0);
    expect(writes.failed.every((w) => w.error === 'SQLITE_BUSY')).toBe(true);
    expect(best(db)).toEqual(expectedBest(db));
  });

  it('stages again when the application changed what the query read, so the rows are those of the data at commit', async () => {
    const { path, db } = database();
    const app = new Database(path);
    cleanups.unshift(() => app.close());
    let pokes = 0;
    // the first row the first staging reads makes the application commit a new best score for group 7
    registerSpin(db, () => {
      if (pokes++ === 0) app.prepare('UPDATE scores SET score = 2 WHERE id = 7').run();
    });
    const before = expectedBest(db).find((r) => r.grp === 7)!.score_id;
    expect(before).not.toBe(7);
    await new DataTransformer({ database: db }).execute(BEST_PER_GROUP);
    expect(best(db)).toEqual(expectedBest(db));
    expect(best(db).find((r) => (r as { grp: number }).grp === 7)).toEqual({ grp: 7, score_id: 7 });
    expect(pokes).toBeGreaterThan(40_000); // the query ran twice
    expect(watchObjects(db)).toEqual([]);
  });

  /** Starts the child, SIGKILLs it 200 ms after its watch triggers appear (inside the ~1.6 s query). */
  async function killWhileStaging(path: string, db: Database.Database, how: string): Promise<void> {
    const child = spawn(process.execPath, [CHILD, path, JITI, SOURCE_INDEX, how], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ signal: string | null }>((r) => child.on('exit', (_code, signal) => r({ signal })));
    const deadline = Date.now() + 60_000;
    while (watchObjects(db).length === 0 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    const { signal } = await exited;
    expect(signal, stderr).toBe('SIGKILL');
    expect(watchObjects(db).length).toBe(4); // the counter table and three triggers on scores
    expect(db.prepare('SELECT count(*) FROM best').pluck().get()).toBe(0);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  }

  it('keeps the data and leaves only its watch triggers when killed while staging; the next run removes them and finishes', async () => {
    const { path, db } = database();
    const scores = db.prepare('SELECT sum(id * score) FROM scores').pluck().get();
    await killWhileStaging(path, db, 'execute');
    expect(db.prepare('SELECT sum(id * score) FROM scores').pluck().get()).toBe(scores);
    // the application's writes still work with the leftover triggers
    db.prepare('INSERT INTO scores (id, grp, score) VALUES (?, 3, 0.5)').run(1_000_000);

    const adapter = openDatabase(path);
    registerSpin(adapter.raw);
    await new DataTransformer({ database: adapter.raw }).execute(BEST_PER_GROUP);
    adapter.close();
    expect(watchObjects(db)).toEqual([]);
    expect(best(db)).toEqual(expectedBest(db));
  });

  it('in a migration: a dry run leaves the leftover triggers, a rerun removes them and ends as an uninterrupted run', async () => {
    const { path, db } = database();
    const dir = bestMigrationFolder();
    await killWhileStaging(path, db, dir);

    const adapter = openDatabase(path);
    registerSpin(adapter.raw);
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(dir), plugins: [createTransformerPlugin()] });
    // a dry run changes nothing
    const dry = await migrator.migrate({ latest: true }, { dryRun: true });
    expect(dry.error).toBeUndefined();
    expect(watchObjects(db).length).toBe(4);
    const result = await migrator.migrate();
    adapter.close();
    expect(result.error).toBeUndefined();
    expect(watchObjects(db)).toEqual([]);
    expect(best(db)).toEqual(expectedBest(db));
    expect(db.prepare('SELECT status FROM mfmig_history WHERE version = 1').pluck().get()).toBe('applied');
  });

  /** The query declared by a migration, run by DialectMigrator with the connection transformer while the application writes. */
  async function migrateBeside(sqlite: 'keyset' | undefined) {
    const { path, db } = database();
    const dir = bestMigrationFolder();
    const adapter = openDatabase(path);
    cleanups.unshift(() => adapter.close());
    registerSpin(adapter.raw);
    const migrator = new DialectMigrator({
      connection: new SqliteConnection(adapter),
      migrations: await loadMigrations(dir),
      participants: [createConnectionTransformer({ sqlite })],
    });
    const app = await impatientApp(path);
    const result = await migrator.migrate();
    const writes = await app.stop();
    return { db, result, writes };
  }

  it('in a DialectMigrator run: the connection transformer stages the query too, and the application keeps writing', async () => {
    const { db, result, writes } = await migrateBeside(undefined);
    expect(result.error).toBeUndefined();
    expect(writes.failed, JSON.stringify(writes.failed.slice(0, 3))).toEqual([]);
    expect(writes.writes.length).toBeGreaterThan(50);
    expect(best(db)).toEqual(expectedBest(db));
    expect(watchObjects(db)).toEqual([]);
    expect(result.extras.transformations?.map((t) => [t.id, t.rowsWritten])).toEqual([['best_per_group', 20]]);
    expect(result.reports.map((r) => [r.kind, r.id, r.rows])).toEqual([['transformed', 'best_per_group', 20]]);
    expect(db.prepare('SELECT status FROM mfmig_history WHERE version = 1').pluck().get()).toBe('applied');
  });

  it("in a DialectMigrator run: the keyset engine (sqlite: 'keyset') runs the query in the step's write transaction, and locks the application out", async () => {
    const { db, result, writes } = await migrateBeside('keyset');
    expect(result.error).toBeUndefined();
    expect(writes.failed.length).toBeGreaterThan(0);
    expect(writes.failed.every((w) => w.error === 'SQLITE_BUSY')).toBe(true);
    expect(best(db)).toEqual(expectedBest(db));
  });
});

describe('what a rollback-journal database stages through TEMP copies', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function planFor(schema: string, sql: string) {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = new Database(join(dir, 'plan.db'));
    cleanups.unshift(() => db.close());
    db.exec(schema);
    return stagedPlanOf(new SqliteConnection(openDatabase(db)), { statements: [sql], batchSize: 1000 } as unknown as PreparedUnit);
  }

  it('copies the key and the columns the query reads, in the table order, through its indexes too', async () => {
    const plan = await planFor(
      'CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT, b INT, big BLOB, c REAL); CREATE INDEX kb ON k (b); CREATE TABLE t (x)',
      'INSERT INTO t (x) SELECT a FROM k WHERE b > 3 AND c < 1',
    );
    expect(plan?.strategy).toBe('copies');
    expect(plan?.copies).toEqual([
      { table: 'k', columns: ['"id"', '"a"', '"b"', '"c"'], ddl: 'CREATE TEMP TABLE "k" ("id" INTEGER, "a" TEXT, "b" INT, "c" REAL)' },
    ]);
  });

  it('copies every column behind an expression index', async () => {
    const plan = await planFor(
      'CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE INDEX kl ON k (lower(a)); CREATE TABLE t (x)',
      "INSERT INTO t (x) SELECT id FROM k WHERE lower(a) = 'x'",
    );
    expect(plan?.copies[0]?.columns).toEqual(['"id"', '"a"', '"b"']);
  });

  it('copies a column with the collation it declares, so that the query compares and groups its text as on the table', async () => {
    const schema =
      'CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT NOT NULL COLLATE NOCASE CHECK (length(a) > 0), b TEXT); CREATE TABLE t (n INTEGER, bs INTEGER)';
    const sql = "INSERT INTO t (n, bs) SELECT count(DISTINCT a), sum(a = 'B') FROM k";
    expect((await planFor(schema, sql))?.copies).toEqual([
      { table: 'k', columns: ['"id"', '"a"'], ddl: 'CREATE TEMP TABLE "k" ("id" INTEGER, "a" TEXT COLLATE "NOCASE")' },
    ]);

    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = new Database(join(dir, 'nocase.db'));
    cleanups.unshift(() => db.close());
    db.exec(schema);
    db.exec("INSERT INTO k (a, b) VALUES ('b', 'x'), ('A', 'x'), ('a', 'x'), ('B', 'x'), ('c', 'x')");
    await new DataTransformer({ database: db }).execute(
      {
        id: 'count_names',
        name: 'Count names',
        sourceTable: 'k',
        targetTable: 't',
        transformationType: 'convert',
        sql,
        batch: 'never',
        reversible: false,
      },
      { batch: 'always' },
    );
    // as the table compares: 'a' = 'A' and 'b' = 'B' (a copy without the collation gives 5 and 1)
    expect(db.prepare('SELECT n, bs FROM t').get()).toEqual({ n: 3, bs: 2 });
    expect(db.prepare("SELECT count(*) FROM sqlite_temp_master WHERE name = 'k'").pluck().get()).toBe(0);
  });

  it('does not stage what a copy would read differently, or what it cannot redirect to the copies', async () => {
    for (const [schema, sql] of [
      ["CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT CHECK (a COLLATE NOCASE <> 'x')); CREATE TABLE t (x)", 'INSERT INTO t SELECT a FROM k ORDER BY a'],
      ['CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT, UNIQUE (a COLLATE NOCASE)); CREATE TABLE t (x)', 'INSERT INTO t SELECT a FROM k ORDER BY a'],
      ['CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT) WITHOUT ROWID; CREATE TABLE t (x)', 'INSERT INTO t SELECT a FROM k'],
      ['CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT, g TEXT AS (upper(a))); CREATE TABLE t (x)', 'INSERT INTO t SELECT g FROM k'],
      ['CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT); CREATE TABLE t (x)', 'INSERT INTO t SELECT a FROM main.k'],
      ['CREATE TABLE k (id INTEGER PRIMARY KEY, a TEXT); CREATE TABLE t (x)', 'INSERT INTO t SELECT name FROM sqlite_schema'],
    ]) {
      expect(await planFor(schema!, sql!), sql).toBeNull();
    }
  });
});
