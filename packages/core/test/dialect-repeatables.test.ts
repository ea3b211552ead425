// Repeatable migrations (Flyway's R__ files) through DialectMigrator, on both dialects: run after
// the versioned ones, again only when edited, each with its mfmig_repeatable row in its transaction;
// a failing one leaves what ran before it, and nothing of itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type RunnableConnection, SqliteConnection, loadMigrations, openDatabase, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir, tempTree } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const DIALECTS: { name: string; open: () => Promise<RunnableConnection> }[] = [
  { name: 'SQLite', open: async () => new SqliteConnection(openDatabase(join(tempDir(), 'db.sqlite'), { create: true })) },
  { name: 'PostgreSQL', open: async () => openPostgres(await scratchDatabase(), { createSchema: true }) },
];

const FOLDER = {
  'V1__people.sql': 'CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL);',
  'V2__seed.sql': "INSERT INTO people (id, name) VALUES (1, 'Ada'), (2, 'Grace');",
  'R__people_view.sql': 'CREATE VIEW people_names AS SELECT name FROM people;',
};

const viewRows = (conn: RunnableConnection) => conn.query<{ name: string }>('SELECT name FROM people_names ORDER BY name');
const recorded = async (conn: RunnableConnection) => (await conn.history.repeatables()).map((r) => [r.name, r.checksum.slice(0, 8)]);

describe.each(DIALECTS)('repeatable migrations through DialectMigrator on $name', ({ open }) => {
  it('run after the versioned ones, once, and again only when edited', async () => {
    const conn = await open();
    const dir = tempTree(FOLDER);
    try {
      const first = new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) });
      expect((await first.status()).pendingRepeatables).toEqual([{ name: 'people_view', applied: false }]);
      const dry = await first.migrate({ latest: true }, { dryRun: true });
      expect(dry.repeatables?.map((r) => [r.name, r.status])).toEqual([['people_view', 'Pending']]);
      expect(await conn.history.repeatables()).toEqual([]);

      const run = await first.migrate();
      expect(run.error).toBeUndefined();
      expect(run.repeatables?.map((r) => [r.name, r.status])).toEqual([['people_view', 'Success']]);
      expect(await viewRows(conn)).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
      expect((await first.status()).pendingRepeatables).toEqual([]);
      const again = await first.migrate();
      expect([again.error, again.repeatables]).toEqual([undefined, []]);

      writeFileSync(
        join(dir, 'R__people_view.sql'),
        'DROP VIEW IF EXISTS people_names;\nCREATE VIEW people_names AS SELECT upper(name) AS name FROM people;\n',
      );
      const edited = new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) });
      expect((await edited.status()).pendingRepeatables).toEqual([{ name: 'people_view', applied: true }]);
      expect((await edited.migrate()).repeatables?.map((r) => r.status)).toEqual(['Success']);
      expect(await viewRows(conn)).toEqual([{ name: 'ADA' }, { name: 'GRACE' }]);
      expect(await recorded(conn)).toHaveLength(1);
    } finally {
      await conn.close();
    }
  });

  it('stop at a failing one: the versioned steps and the repeatables before it stay, nothing of it does', async () => {
    const conn = await open();
    const dir = tempTree({
      ...FOLDER,
      'R__a_index.sql': 'CREATE INDEX people_name ON people (name);',
      'R__b_broken.sql': 'CREATE TABLE half_made (id integer);\nINSERT INTO no_such_table VALUES (1);\n',
      'R__c_later.sql': 'CREATE TABLE later (id integer);',
    });
    try {
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) });
      const run = await migrator.migrate();
      expect(run.error?.message).toMatch(/b_broken/);
      expect(run.repeatables?.map((r) => [r.name, r.status])).toEqual([
        ['a_index', 'Success'],
        ['b_broken', 'Error'],
        ['c_later', 'NotExecuted'],
        ['people_view', 'NotExecuted'],
      ]);
      expect(await conn.history.list()).toHaveLength(2);
      const tables = (await conn.introspector.tables()).map((t) => t.name).sort();
      expect(tables).toEqual(['people']);
      expect((await conn.introspector.table('people'))?.indexes.map((i) => i.name)).toContain('people_name');
      expect((await conn.history.repeatables()).map((r) => r.name)).toEqual(['a_index']);
      expect((await migrator.status()).pendingRepeatables.map((r) => r.name)).toEqual(['b_broken', 'c_later', 'people_view']);
    } finally {
      await conn.close();
    }
  });
});
