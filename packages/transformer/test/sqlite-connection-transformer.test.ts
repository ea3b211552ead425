// The connection transformer (the DialectMigrator participant) on SQLite: the knowledge base's
// declared transformations give the same rows as the SQLite plugin under Migrator, continued
// moves commit batch by batch while an application writes, and an interrupted run resumes.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, type DialectParticipant, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, startAppWriter, tempDir, tempTree } from '@mfmig/test-support';
import { applyTransformationsOn, createConnectionTransformer, reverseTransformationsOn } from '../src/index.js';
import { MIGRATIONS, migratorFor, seededMvp1, tableChecksum } from './helpers.js';

afterAll(removeTempDirs);

/** A DialectMigrator over the real migration set on `adapter`, with the connection transformer. */
async function dialectRunner(adapter: DatabaseAdapter, transformer: DialectParticipant = createConnectionTransformer()): Promise<DialectMigrator> {
  return new DialectMigrator({ connection: new SqliteConnection(adapter), migrations: await loadMigrations(MIGRATIONS), participants: [transformer] });
}

/** Two MVP1 knowledge bases with the same `rows` seeded entries. */
async function twins(rows: number): Promise<[DatabaseAdapter, DatabaseAdapter]> {
  const dir = tempDir();
  return [await seededMvp1(join(dir, 'plugin.db'), rows), await seededMvp1(join(dir, 'connection.db'), rows)];
}

/** A table's rows without the columns that hold the time they were written (`created_at`, `at`), in key order. */
function timeless(adapter: DatabaseAdapter, table: string): unknown[] {
  const columns = adapter.all<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`).map((c) => c.name);
  const kept = columns.filter((c) => c !== 'at' && !c.endsWith('_at')).map((c) => `"${c}"`);
  expect(kept.length).toBeLessThan(columns.length);
  return adapter.all(`SELECT ${kept.join(', ')} FROM "${table}" ORDER BY 1`);
}

/** Both engines the connection transformer can run on SQLite: its default (the plugin's) and the keyset one. */
const ENGINES = [
  ['the SQLite engine', undefined],
  ['the keyset engine', 'keyset'],
] as const;

const scalar = (adapter: DatabaseAdapter, sql: string) => adapter.value<number | string>(sql);

describe.each(ENGINES)('the connection transformer on SQLite (DialectMigrator, %s)', (_engine, sqlite) => {
  it('migrates a seeded knowledge base to MVP5 and back to MVP4 with the same rows, history and schema as Migrator with the plugin', async () => {
    const [plugin, connection] = await twins(1500);
    try {
      const migrator = await migratorFor(plugin);
      const runner = await dialectRunner(connection, createConnectionTransformer({ sqlite }));
      expect((await migrator.migrate({ latest: true })).error).toBeUndefined();
      const up = await runner.migrate({ latest: true });
      expect(up.error).toBeUndefined();
      const transformed = up.reports.filter((r) => r.kind === 'transformed').map((r) => [r.id, r.rows]);
      expect(transformed.slice(0, 2)).toEqual([
        ['kb_to_incident_mapping', 1500],
        ['link_incidents_to_kb', 1500],
      ]);
      expect(transformed.length).toBe(9);
      // every row of every table the same, but for the times rows were written at ('now' in 0008's SQL, 0017's audit row)
      const differ = connection.userTables().filter((t) => tableChecksum(connection, [t]) !== tableChecksum(plugin, [t]));
      expect(differ).toEqual(['code_programs', 'jcl_members', 'kb_code_links', 'security_audit_log']);
      for (const table of differ) expect(timeless(connection, table)).toEqual(timeless(plugin, table));
      expect(connection.schemaFingerprint()).toBe(plugin.schemaFingerprint());
      const history = (a: DatabaseAdapter) => a.all('SELECT version, status, rows FROM mfmig_history ORDER BY version');
      expect(history(connection)).toEqual(history(plugin));

      // down to MVP1: the reverses run before each down, on both runners
      // down to MVP4: the reverses of 0017's transformations run before its down, on both runners
      expect((await migrator.rollback({ mvp: 4 })).error).toBeUndefined();
      const down = await runner.rollback({ mvp: 4 });
      expect(down.error).toBeUndefined();
      expect(down.reports.filter((r) => r.kind === 'reversed').map((r) => r.id)).toEqual([
        'rules_from_successful_kb_entries',
        'grant_kb_author_role',
        'kb_authors_to_users',
      ]);
      expect(connection.userTables().filter((t) => tableChecksum(connection, [t]) !== tableChecksum(plugin, [t]))).toEqual([
        'code_programs',
        'jcl_members',
        'kb_code_links',
      ]);
      expect(connection.schemaFingerprint()).toBe(plugin.schemaFingerprint());
      expect(history(connection)).toEqual(history(plugin));
    } finally {
      plugin.close();
      connection.close();
    }
  });

  it('reverses KB-to-incidents before the down of MVP2, leaving MVP1 as Migrator with the plugin leaves it', async () => {
    const [plugin, connection] = await twins(800);
    try {
      const migrator = await migratorFor(plugin);
      const runner = await dialectRunner(connection, createConnectionTransformer({ sqlite }));
      expect((await migrator.migrate({ mvp: 2 })).error).toBeUndefined();
      expect((await runner.migrate({ mvp: 2 })).error).toBeUndefined();
      expect(tableChecksum(connection, ['incidents'])).toBe(tableChecksum(plugin, ['incidents']));
      expect((await migrator.rollback({ mvp: 1 })).error).toBeUndefined();
      const down = await runner.rollback({ mvp: 1 });
      expect(down.error).toBeUndefined();
      expect(down.reports.filter((r) => r.kind === 'reversed').map((r) => [r.id, r.rows])).toEqual([
        ['link_incidents_to_kb', 800],
        ['kb_to_incident_mapping', 800],
      ]);
      expect(tableChecksum(connection, connection.userTables())).toBe(tableChecksum(plugin, plugin.userTables()));
      expect(connection.schemaFingerprint()).toBe(plugin.schemaFingerprint());
    } finally {
      plugin.close();
      connection.close();
    }
  });

  it('continues KB-to-incidents in committed batches while an application inserts entries, and moves every entry exactly once', async () => {
    const [plugin, connection] = await twins(3000);
    const app = await startAppWriter({
      db: connection.filePath,
      sql: "INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at) VALUES ('app ' || :tick, 'p', 's', 'JCL', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
      params: { tick: '$tick' },
      intervalMs: 5,
      busyTimeoutMs: 5000,
    });
    let stopped = false;
    try {
      // the application is under way before the run starts (a busy machine may start its process late), and writes on during it
      while (Number(scalar(connection, 'SELECT count(*) FROM kb_entries')) === 3000) await new Promise((resolve) => setTimeout(resolve, 5));
      const transformer = createConnectionTransformer({ sqlite, batchThreshold: 500, batchSize: 200, pacing: { targetMs: 20, pauseMs: 5 } });
      const result = await (await dialectRunner(connection, transformer)).migrate({ mvp: 2 });
      const report = await app.stop();
      stopped = true;
      expect(result.error).toBeUndefined();
      const batches = result.reports.find((r) => r.id === 'kb_to_incident_mapping')!.batches as number;
      expect(batches).toBeGreaterThan(5);
      expect(report.failed).toEqual([]);
      expect(report.writes.length).toBeGreaterThan(0);
      // every entry committed before the final transaction, the application's included, has one KB
      // incident linked back to it; the entries the application wrote after the commit (until it
      // was stopped) come after them, as ids only grow
      const moved = Number(scalar(connection, "SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'"));
      expect(Number(scalar(connection, "SELECT count(DISTINCT ticket_id) FROM incidents WHERE ticket_id LIKE 'KB-%'"))).toBe(moved);
      expect(Number(scalar(connection, 'SELECT count(*) FROM incidents i JOIN kb_entries e ON e.id = i.kb_entry_id'))).toBe(moved);
      const last = Number(scalar(connection, 'SELECT max(kb_entry_id) FROM incidents'));
      expect(Number(scalar(connection, `SELECT count(*) FROM kb_entries WHERE created_at IS NOT NULL AND id <= ${last}`))).toBe(moved);
      const appMoved = Number(scalar(connection, "SELECT count(*) FROM incidents i JOIN kb_entries e ON e.id = i.kb_entry_id WHERE e.title LIKE 'app %'"));
      expect(appMoved).toBeGreaterThan(0);
      expect(moved).toBe(3000 + appMoved);
      expect(scalar(connection, 'SELECT status FROM mfmig_history WHERE version = 5')).toBe('applied');
      expect(connection.rowCount('mfmig_transform_cursors')).toBe(0);
      // the rows the plugin moves from the entries seeded before the run are the same
      expect((await (await migratorFor(plugin)).migrate({ mvp: 2 })).error).toBeUndefined();
      const seededRows =
        'SELECT ticket_id, timestamp, title, description, component, severity, kb_entry_id FROM incidents WHERE kb_entry_id <= 3000 ORDER BY ticket_id';
      expect(connection.all(seededRows)).toEqual(plugin.all(seededRows));
    } finally {
      if (!stopped) await app.stop();
      plugin.close();
      connection.close();
    }
  });

  it('stops between batches when interrupted, leaving the step partial, and the next run resumes from its cursor', async () => {
    const [, connection] = await twins(2000);
    try {
      const transformer = () => createConnectionTransformer({ sqlite, batchThreshold: 500, batchSize: 100, pacing: { targetMs: 100, pauseMs: 0 } });
      const runner = await dialectRunner(connection, transformer());
      const stop = new AbortController();
      runner.events.on('operationProgress', (p) => p.operation === 'transform kb_to_incident_mapping' && p.done >= 300 && stop.abort());
      const first = await runner.migrate({ mvp: 2 }, { signal: stop.signal });
      expect(first.error).toMatchObject({ code: 'INTERRUPTED' });
      expect(scalar(connection, 'SELECT status FROM mfmig_history WHERE version = 5')).toBe('partial');
      const moved = Number(scalar(connection, "SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'"));
      expect(moved).toBeGreaterThanOrEqual(300);
      expect(moved).toBeLessThan(2000);
      expect(scalar(connection, "SELECT status FROM mfmig_transform_cursors WHERE transformation_id = 'kb_to_incident_mapping'")).toBe('running');

      // the application writes while no run is under way; the next run resumes and moves its row too
      connection.run(
        "INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at) VALUES ('late', 'p', 's', 'VSAM', '2026-02-02 00:00:00', '2026-02-02 00:00:00')",
      );
      const again = await (await dialectRunner(connection, transformer())).migrate({ mvp: 2 });
      expect(again.error).toBeUndefined();
      expect(again.reports.find((r) => r.id === 'kb_to_incident_mapping')!.rows).toBe(2001);
      expect(Number(scalar(connection, "SELECT count(DISTINCT ticket_id) FROM incidents WHERE ticket_id LIKE 'KB-%'"))).toBe(2001);
      expect(Number(scalar(connection, "SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'"))).toBe(2001);
      expect(scalar(connection, 'SELECT status FROM mfmig_history WHERE version = 5')).toBe('applied');
    } finally {
      connection.close();
    }
  });
});

describe.each(ENGINES)('a continued move that fails its validation on SQLite (DialectMigrator, %s)', (_engine, sqlite) => {
  it('is taken back out by its down after its batches committed: schema, rows, history and cursors as before', async () => {
    const move = (expectRows: string) => `export const transformations = [
  { id: 'copy_src', name: 'copy', sourceTable: 'src', targetTable: 'dst', transformationType: 'convert', batch: 'always',
    sql: 'INSERT INTO dst (id, v2) SELECT id, v * 2 FROM src', reversible: true, reverse: 'DELETE FROM dst', dependencies: [],
    validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: ${expectRows} }] },
];
export async function up(db) { await db.schema.createTable('dst').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v2', 'integer').execute(); }
export async function down(db) { await db.schema.dropTable('dst').execute(); }`;
    const init =
      '-- migrate:up\nCREATE TABLE src (id INTEGER PRIMARY KEY, v INTEGER);\nWITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000) INSERT INTO src SELECT n, n FROM g;\n';
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    try {
      const runner = async (expectRows: string) =>
        new DialectMigrator({
          connection: new SqliteConnection(adapter),
          migrations: await loadMigrations(tempTree({ 'mvp1/0001_src.sql': init, 'mvp1/0002_move.mjs': move(expectRows) })),
          participants: [createConnectionTransformer({ sqlite, batchSize: 100, pacing: { targetMs: 100, pauseMs: 0 } })],
        });
      expect((await (await runner('0')).migrate({ version: 1 })).error).toBeUndefined();
      const state = () => ({
        schema: adapter.schemaFingerprint(),
        rows: adapter.all('SELECT count(*) AS n, sum(v) AS s FROM src'),
        history: adapter.all('SELECT version, status FROM mfmig_history ORDER BY version'),
        cursors: adapter.tableExists('mfmig_transform_cursors') ? adapter.rowCount('mfmig_transform_cursors') : 0,
      });
      const before = state();
      const failed = await (await runner('0')).migrate();
      expect(failed.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(failed.reports.some((r) => r.kind === 'reversed' && r.id === 'copy_src' && r.rows === 1000)).toBe(true);
      expect(state()).toEqual(before);
      expect(adapter.tableExists('dst')).toBe(false);
      // fixed, the same migration then applies
      const fixed = await (await runner("'sourceCount'")).migrate();
      expect(fixed.error).toBeUndefined();
      expect(adapter.value('SELECT count(*) FROM dst d JOIN src s ON s.id = d.id AND d.v2 = s.v * 2')).toBe(1000);
    } finally {
      adapter.close();
    }
  });
});

describe('applyTransformationsOn on a SQLite connection', () => {
  const base = { transformationType: 'convert', reversible: false, dependencies: [], validationQueries: [] } as const;

  async function withConnection(setup: string, fn: (conn: SqliteConnection, adapter: DatabaseAdapter) => Promise<void>): Promise<void> {
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    adapter.exec(setup);
    try {
      await fn(new SqliteConnection(adapter), adapter);
    } finally {
      adapter.close();
    }
  }

  it('binds batch ranges as integers, so that SQL comparing an expression with @batchStart moves every row', async () => {
    const setup = `CREATE TABLE src (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2500) INSERT INTO src SELECT n, n % 97 FROM g;
      CREATE TABLE dst (id INTEGER PRIMARY KEY, v2 INTEGER NOT NULL);`;
    await withConnection(setup, async (conn, adapter) => {
      const declared = [
        {
          ...base,
          id: 'expr_copy',
          name: 'copy',
          sourceTable: 'src',
          targetTable: 'dst',
          // id + 0 has no column affinity: a text parameter would compare as text and match nothing
          sql: 'INSERT INTO dst (id, v2) SELECT id, v * 2 FROM src WHERE id + 0 > @batchStart AND id + 0 <= @batchEnd',
          validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: 'sourceCount' }],
        },
      ];
      const [r] = await conn.transaction(() => applyTransformationsOn(conn, declared, { batchSize: 1000 }));
      expect([r!.rows, r!.batches, r!.validations.every((v) => v.passed)]).toEqual([2500, 3, true]);
      expect(adapter.value('SELECT count(*) FROM dst d JOIN src s ON s.id = d.id AND d.v2 = s.v * 2')).toBe(2500);
    });
  });

  it('pages a row function over a key column without a declared type, and upserts and updates by key', async () => {
    // a key without a type has no affinity: SQLite compares an integer with a text parameter as text
    const setup = `CREATE TABLE orders (id PRIMARY KEY, items TEXT);
      INSERT INTO orders VALUES (1, 'tea,milk'), (2, NULL), (3, 'bread'), (10, 'eggs,ham,jam'), (11, 'salt');
      CREATE TABLE order_items (order_id INTEGER, pos INTEGER, item TEXT NOT NULL, PRIMARY KEY (order_id, pos));
      INSERT INTO order_items VALUES (1, 0, 'old tea'), (9, 0, 'untouched');
      CREATE TABLE totals (order_id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, note TEXT);
      INSERT INTO totals (order_id) VALUES (1), (3), (10), (11);`;
    await withConnection(setup, async (conn, adapter) => {
      const split = {
        ...base,
        id: 'split',
        name: 'split',
        sourceTable: 'orders',
        targetTable: 'order_items',
        writeMode: 'upsert',
        batchSize: 2,
        transform: (row: Record<string, unknown>) =>
          row.items === null
            ? null
            : String(row.items)
                .split(',')
                .map((item, pos) => ({ order_id: row.id, pos, item })),
      };
      const count = {
        ...base,
        id: 'count',
        name: 'count',
        sourceTable: 'orders',
        targetTable: 'totals',
        transformationType: 'enrich',
        writeMode: 'update',
        batchSize: 2,
        transform: (row: Record<string, unknown>) =>
          row.items === null ? null : { order_id: row.id, n: String(row.items).split(',').length, note: `n=${String(row.items).split(',').length}` },
      };
      const results = await conn.transaction(() => applyTransformationsOn(conn, [split, count]));
      expect(results.map((r) => [r.id, r.rowsRead, r.batches])).toEqual([
        ['split', 5, 3],
        ['count', 5, 3],
      ]);
      expect(adapter.all('SELECT order_id, pos, item FROM order_items ORDER BY order_id, pos')).toEqual([
        { order_id: 1, pos: 0, item: 'tea' },
        { order_id: 1, pos: 1, item: 'milk' },
        { order_id: 3, pos: 0, item: 'bread' },
        { order_id: 9, pos: 0, item: 'untouched' },
        { order_id: 10, pos: 0, item: 'eggs' },
        { order_id: 10, pos: 1, item: 'ham' },
        { order_id: 10, pos: 2, item: 'jam' },
        { order_id: 11, pos: 0, item: 'salt' },
      ]);
      expect(adapter.all('SELECT order_id, n, note FROM totals ORDER BY order_id')).toEqual([
        { order_id: 1, n: 2, note: 'n=2' },
        { order_id: 3, n: 1, note: 'n=1' },
        { order_id: 10, n: 3, note: 'n=3' },
        { order_id: 11, n: 1, note: 'n=1' },
      ]);
    });
  });

  it('pages a row function over integer keys above 2^53 exactly, each row once', { timeout: 20_000 }, async () => {
    // as JS numbers, 2^53 + 1 reads as 2^53 (the page after it would read it again) and 2^53 + 3 as
    // 2^53 + 4 (the page after it would skip 2^53 + 4)
    const keys = [-1, 0, 1, 2, 3, 4, 5].map((d) => 9007199254740992n + BigInt(d));
    const setup = `CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
      INSERT INTO big VALUES ${keys.map((k, i) => `(${k}, '${'abcdefg'[i]}')`).join(', ')};
      CREATE TABLE big_copy (rid INTEGER PRIMARY KEY, v TEXT NOT NULL);`;
    await withConnection(setup, async (conn, adapter) => {
      const copy = {
        ...base,
        id: 'copy_big',
        name: 'copy',
        sourceTable: 'big',
        targetTable: 'big_copy',
        batchSize: 3,
        transform: (row: Record<string, unknown>) => ({ v: row.v }),
      };
      const [r] = await conn.transaction(() => applyTransformationsOn(conn, [copy]));
      expect([r!.rowsRead, r!.rows, r!.batches]).toEqual([7, 7, 3]);
      expect(adapter.all<{ v: string }>('SELECT v FROM big_copy ORDER BY rid').map((row) => row.v)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    });
  });

  it('rolls the whole migration back when a validation fails, and runs SQL reverses last first', async () => {
    const setup = `CREATE TABLE src (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO src VALUES (1, 1), (2, 2), (3, NULL);
      CREATE TABLE dst (id INTEGER PRIMARY KEY, v INTEGER);`;
    await withConnection(setup, async (conn, adapter) => {
      const copy = {
        ...base,
        id: 'copy',
        name: 'copy',
        sourceTable: 'src',
        targetTable: 'dst',
        sql: 'INSERT INTO dst SELECT id, v FROM src WHERE v IS NOT NULL',
        reversible: true,
        reverse: 'DELETE FROM dst',
        validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: 'sourceCount', message: 'every row copied' }],
      };
      const error = await conn
        .transaction(() => applyTransformationsOn(conn, [copy]))
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(adapter.value('SELECT count(*) FROM dst')).toBe(0);

      const passing = { ...copy, validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: 2 }] };
      await conn.transaction(() => applyTransformationsOn(conn, [passing]));
      expect(adapter.value('SELECT count(*) FROM dst')).toBe(2);
      const reversed = await conn.transaction(() => reverseTransformationsOn(conn, [passing]));
      expect(reversed.map((r) => [r.id, r.rows])).toEqual([['copy', 2]]);
      expect(adapter.value('SELECT count(*) FROM dst')).toBe(0);
    });
  });
});

describe('a migration with declared transformations under DialectMigrator on SQLite', () => {
  it('is refused before anything runs without the transformer participant, and runs with it', async () => {
    const dir = tempTree({
      'mvp1/0001_init.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO a VALUES (1, 10), (2, 20);',
      'mvp1/0002_copy.ts': `export const transformations = [{ id: 'copy_a', name: 'copy', sourceTable: 'a', targetTable: 'b', transformationType: 'convert',
        sql: 'INSERT INTO b SELECT id, v FROM a', reversible: true, reverse: 'DELETE FROM b', dependencies: [],
        validationQueries: [{ sql: 'SELECT count(*) FROM b', expect: 'sourceCount' }] }];
export async function up(db) { await db.schema.createTable('b').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'integer').execute(); }
export async function down(db) { await db.schema.dropTable('b').execute(); }`,
    });
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    try {
      const migrations = await loadMigrations(dir);
      const bare = await new DialectMigrator({ connection: new SqliteConnection(adapter), migrations }).migrate();
      expect(bare.error).toBeDefined();
      expect(adapter.tableExists('a')).toBe(false);
      const run = await new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [createConnectionTransformer()] }).migrate();
      expect(run.error).toBeUndefined();
      expect(adapter.all('SELECT id, v FROM b ORDER BY id')).toEqual([
        { id: 1, v: 10 },
        { id: 2, v: 20 },
      ]);
    } finally {
      adapter.close();
    }
  });
});
