// A DialectMigrator rollback with `dryRun`: every down runs and nothing is kept, on both dialects,
// as Migrator's dry-run rollback does; downs that switch foreign keys are rehearsed on a copy.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type DialectParticipant, Migrator, type RunnableConnection, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { CASCADE_UNDER_REBUILD, DIALECTS, NOTES_AND_TAGS, V, dryRollbackToV1 } from './flyway-sets.js';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const FILES = NOTES_AND_TAGS;

async function tableNames(conn: RunnableConnection): Promise<string[]> {
  return (await conn.introspector.tables())
    .map((t) => t.name)
    .filter((n) => !n.startsWith('mfmig'))
    .sort();
}

describe.each(DIALECTS)('a dry-run rollback through DialectMigrator on $name', ({ name, open }) => {
  it('runs every down, counts each, and keeps nothing', async () => {
    const conn = await open();
    try {
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(tempTree(FILES)) });
      expect((await migrator.migrate()).error).toBeUndefined();
      const before = [await tableNames(conn), (await migrator.status()).currentVersion];
      const dry = await migrator.rollback({ version: 0 }, { dryRun: true });
      expect(dry.error).toBeUndefined();
      expect(dry.dryRun).toBe(true);
      expect(dry.results.map((r) => [r.version, r.direction, r.status])).toEqual([
        [V(3), 'down', 'Success'],
        [V(2), 'down', 'Success'],
        [V(1), 'down', 'Success'],
      ]);
      expect(dry.results[1]!.statements.map((sql) => sql.replace(/;$/, ''))).toEqual(['DROP TABLE tags']);
      expect(migrator.getCurrentProgress()).toMatchObject({ direction: 'down', status: 'completed', currentStep: 3, totalSteps: 3 });
      expect([await tableNames(conn), (await migrator.status()).currentVersion]).toEqual(before);
    } finally {
      await conn.close();
    }
  });

  it('ends at a down that fails: its error, the rest not run, nothing kept', async () => {
    const conn = await open();
    try {
      const files = { ...FILES, 'U2__tags.sql': 'DROP TABLE tags;\nDROP TABLE missing_table;' };
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(tempTree(files)) });
      expect((await migrator.migrate()).error).toBeUndefined();
      const failed = await migrator.rollback({ version: 0 }, { dryRun: true });
      expect(failed.error).toMatchObject({ code: 'MIGRATION_FAILED' });
      expect(failed.results.map((r) => r.status)).toEqual(['Success', 'Error', 'NotExecuted']);
      expect([await tableNames(conn), (await migrator.status()).currentVersion]).toEqual([['notes', 'tags'], V(3)]);
      // the index the first down dropped is still there: a real down of it works
      expect((await migrator.rollback({ version: V(2) })).error).toBeUndefined();
    } finally {
      await conn.close();
    }
  });

  it(name === 'SQLite' ? 'rehearses a transaction: none down in its transaction' : 'refuses a transaction: none down, which it cannot roll back', async () => {
    const conn = await open();
    try {
      const files = { ...FILES, 'U3__index.sql': '-- transaction: none\nDROP INDEX tags_name;' };
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(tempTree(files)) });
      expect((await migrator.migrate()).error).toBeUndefined();
      const dry = await migrator.rollback({ version: V(1) }, { dryRun: true });
      if (name === 'SQLite') expect([dry.error, dry.results.map((r) => r.status)]).toEqual([undefined, ['Success', 'Success']]);
      else expect([dry.error, dry.results]).toMatchObject([{ code: 'USAGE' }, []]);
      expect(await tableNames(conn)).toEqual(['notes', 'tags']);
      expect((await migrator.status()).currentVersion).toBe(V(3));
    } finally {
      await conn.close();
    }
  });
});

describe('a dry-run rollback on SQLite', () => {
  it('gives the results and progress of Migrator', async () => {
    const runs: unknown[] = [];
    for (const which of ['Migrator', 'DialectMigrator'] as const) {
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      const migrations = await loadMigrations(tempTree(FILES));
      const runner =
        which === 'Migrator' ? new Migrator({ adapter, migrations }) : new DialectMigrator({ connection: new SqliteConnection(adapter), migrations });
      expect((await runner.migrate()).error).toBeUndefined();
      const dry = await runner.rollback({ version: V(1) }, { dryRun: true });
      runs.push([dry.error, dry.dryRun, dry.results.map((r) => [r.version, r.status, r.statements]), runner.getCurrentProgress()?.currentStep]);
      adapter.close();
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('runs downs that switch foreign keys each with its own setting, on a copy: the cascade happens, the application writes on, the copy goes', async () => {
    const dir = tempDir();
    const file = join(dir, 'db.sqlite');
    const scratch = tempDir();
    const adapter = openDatabase(file, { create: true });
    const app = new Database(file, { timeout: 0 });
    const migrations = await loadMigrations(tempTree(CASCADE_UNDER_REBUILD));
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      const writes: string[] = [];
      const booksAfter: unknown[] = [];
      const copies: number[] = [];
      const writer: DialectParticipant = {
        name: 'application',
        // stands for the application: it writes to the live file while each down of the dry run runs, and never waits
        beforeDown: async (step) => {
          app.prepare("INSERT INTO authors (name) VALUES ('app')").run();
          writes.push('written');
          // what the downs drop is let go (no preservation here): the step guard allows it
          step.accountLosses?.('*');
        },
        // the books the down left where it ran
        aroundDown: async (step, work) => {
          await work();
          booksAfter.push((await step.connection.query<{ n: number }>('SELECT count(*) AS n FROM books'))[0]!.n);
          copies.push(readdirSync(scratch).length);
        },
      };
      const migrator = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [writer] });
      await dryRollbackToV1(migrator);
      expect(writes).toEqual(['written', 'written']);
      // the seed's undo ran with foreign keys on: its author's books went with it
      expect(booksAfter).toEqual([2, 0]);
      expect(app.prepare('SELECT count(*) FROM books').pluck().get()).toBe(2);
      expect(app.prepare("SELECT count(*) FROM authors WHERE name = 'app'").pluck().get()).toBe(2);
      expect((await migrator.status()).currentVersion).toBe(V(3));
      // the copy was made in the temp folder, and is gone
      expect(copies).toEqual([1, 1]);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
      app.close();
      adapter.close();
    }
  });
});
