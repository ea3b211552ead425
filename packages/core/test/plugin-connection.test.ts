// A plugin reads and writes through the run's connection on the async boundary (ctx.connection,
// run.connection): its writes join the migration's transaction, commit with it and roll back with it.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MigrationPlugin,
  Migrator,
  type SqliteConnection,
  createMigrationContext,
  loadMigrations,
  openDatabase,
  openSqlite,
  sqliteConnectionOf,
} from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { AUTHORS_SEED } from './flyway-sets.js';

afterAll(() => removeTempDirs());

const FAILING = { ...AUTHORS_SEED, 'V3__index.sql': 'CREATE INDEX books_author ON books (author_id);\nINSERT INTO missing_table VALUES (1);' };

/** Writes one row per version through `ctx.connection` before its body runs, and notes the connections it was handed. */
function journal(seen: Set<SqliteConnection>): MigrationPlugin {
  return {
    name: 'journal',
    async beforeRun(run) {
      seen.add(run.connection);
      await run.connection.executeScript('CREATE TABLE IF NOT EXISTS app_journal (version INTEGER NOT NULL, tables INTEGER NOT NULL)');
    },
    async beforeMigration(ctx) {
      if (ctx.direction !== 'up') return;
      seen.add(ctx.connection);
      const [row] = await ctx.connection.query<{ n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'");
      await ctx.connection.execute('INSERT INTO app_journal (version, tables) VALUES (?, ?)', [ctx.migration.version, row!.n]);
    },
  };
}

describe('a plugin on the run connection', () => {
  it("writes through ctx.connection in each migration's transaction: kept for the applied ones, none for the failed one", async () => {
    const path = join(tempDir(), 'app.db');
    const adapter = openDatabase(path, { create: true });
    const seen = new Set<SqliteConnection>();
    const result = await new Migrator({ adapter, migrations: await loadMigrations(tempTree(FAILING)), plugins: [journal(seen)] }).migrate();
    expect(result.error).toBeDefined();
    expect(seen.size).toBe(1);
    adapter.close();

    const check = new Database(path, { readonly: true });
    const applied = check.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all();
    expect(applied).toHaveLength(2);
    expect(check.prepare('SELECT version FROM app_journal ORDER BY version').pluck().all()).toEqual(applied);
    expect(check.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'books_author'").pluck().get()).toBe(0);
    check.close();
  });

  it('builds a context of its own on ctx.connection alone: same database, statements and rows of its own', async () => {
    const adapter = openDatabase(join(tempDir(), 'app.db'), { create: true });
    const migrations = await loadMigrations(tempTree(AUTHORS_SEED));
    const counted: string[] = [];
    const plugin: MigrationPlugin = {
      name: 'second-context',
      async afterMigration(ctx) {
        const own = createMigrationContext({
          connection: ctx.connection,
          migration: ctx.migration,
          direction: 'up',
          dryRun: false,
          logger: ctx.logger,
          onProgress: () => {},
          runId: ctx.runId,
        });
        expect([own.connection, own.adapter]).toEqual([ctx.connection, ctx.adapter]);
        own.exec('CREATE TEMP TABLE IF NOT EXISTS seen_steps (version INTEGER)');
        own.exec(`INSERT INTO seen_steps VALUES (${ctx.migration.version})`);
        counted.push(`${own.statements.length} ${(ctx as { statements?: string[] }).statements?.some((s) => s.includes('seen_steps')) ?? false}`);
      },
    };
    expect((await new Migrator({ adapter, migrations, plugins: [plugin] }).migrate()).error).toBeUndefined();
    expect(adapter.all('SELECT version FROM temp.seen_steps ORDER BY version')).toEqual(migrations.migrations.map((m) => ({ version: m.version })));
    expect(counted).toEqual(['2 false', '2 false']);
    adapter.close();
  });

  it('gives a database or an adapter one connection, and a connection itself', async () => {
    const path = join(tempDir(), 'app.db');
    const handle = new Database(path);
    const conn = sqliteConnectionOf(handle);
    expect(sqliteConnectionOf(handle)).toBe(conn);
    expect(sqliteConnectionOf(conn)).toBe(conn);
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    expect(handle.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 't'").pluck().get()).toBe(1);
    const own = await openSqlite(path);
    expect(sqliteConnectionOf(own)).toBe(own);
    await own.close();
    expect(handle.open).toBe(true);
    handle.close();
  });
});
