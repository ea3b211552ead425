import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AdapterCapabilities,
  DEFAULT_PACING,
  DialectMigrator,
  type MfmigError,
  Migrator,
  SqliteAdapter,
  loadMigrations,
  openDatabase,
  openPostgres,
  pacingFor,
} from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempTree, withClient } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

/** Three statements; the third fails (a duplicate table). */
const FAILS_THIRD = {
  'mvp1/0001_three.sql': `-- migrate:up
CREATE TABLE first_t (id INTEGER PRIMARY KEY);
CREATE TABLE second_t (id INTEGER PRIMARY KEY);
CREATE TABLE first_t (id INTEGER PRIMARY KEY);
-- migrate:down
DROP TABLE second_t;
DROP TABLE first_t;`,
};

async function sqliteRunner(files: Record<string, string>, capabilities?: Partial<AdapterCapabilities>) {
  const dir = tempTree(files);
  const file = join(dir, 'kb.db');
  const owner = openDatabase(file, { create: true });
  const adapter = capabilities ? new SqliteAdapter(owner.raw, { capabilities }) : owner;
  return { adapter, migrator: new Migrator({ adapter, migrations: await loadMigrations(dir) }) };
}

const userTables = (adapter: SqliteAdapter) =>
  adapter.column<string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'mfmig%' ORDER BY name");

describe('SQLite capabilities steer the runner', () => {
  it("reports SQLite's five flags", () => {
    expect(openDatabase(':memory:').capabilities).toEqual({
      transactionalDdl: true,
      nonTransactionalStatements: false,
      advisoryLocks: false,
      queuedLockWaits: false,
      tableLocks: false,
    });
  });

  it('with transactional DDL, a migration failing in its third statement leaves nothing', async () => {
    const { adapter, migrator } = await sqliteRunner(FAILS_THIRD);
    const result = await migrator.migrate();
    expect((result.error as MfmigError).code).toBe('MIGRATION_FAILED');
    expect(userTables(adapter as SqliteAdapter)).toEqual([]);
    expect(migrator.status().currentVersion).toBe(0);
  });

  it('with transactional DDL switched off, statements run one by one: the two before the failure stay, and a dry run is refused', async () => {
    const { adapter, migrator } = await sqliteRunner(FAILS_THIRD, { transactionalDdl: false });
    const dry = await migrator.migrate({ latest: true }, { dryRun: true });
    expect((dry.error as MfmigError).code).toBe('USAGE');
    expect(userTables(adapter as SqliteAdapter)).toEqual([]);
    const result = await migrator.migrate();
    expect((result.error as MfmigError).code).toBe('MIGRATION_FAILED');
    expect(userTables(adapter as SqliteAdapter)).toEqual(['first_t', 'second_t']);
    expect(migrator.status().currentVersion).toBe(0);
  });

  it('switches a capability off, never on', () => {
    const raw = openDatabase(':memory:').raw;
    expect(() => new SqliteAdapter(raw, { capabilities: { advisoryLocks: true } })).toThrow(/switched off, not on/);
    expect(() => new SqliteAdapter(raw, { capabilities: { onlineBackup: false } as never })).toThrow(/Unknown capability/);
  });
});

describe('PostgreSQL capabilities steer the runner', () => {
  const concurrently = {
    'mvp1/0001_people.sql': `-- migrate:up
CREATE TABLE people (id integer PRIMARY KEY, email text);
CREATE INDEX CONCURRENTLY people_email ON people (email);
`,
  };
  const publicTables = (url: string) =>
    withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'mfmig%'")).rows);

  it('with non-transactional statements on, refuses a transactional file holding one before it runs anything', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      expect(conn.capabilities).toEqual({
        transactionalDdl: true,
        nonTransactionalStatements: true,
        advisoryLocks: true,
        queuedLockWaits: true,
        tableLocks: true,
      });
      // waiters queue, so batches keep their 100 ms but lose the pause meant for SQLite's polling writers
      expect([pacingFor(conn.capabilities), pacingFor(openDatabase(':memory:').capabilities)]).toEqual([{ targetMs: 100, pauseMs: 0 }, DEFAULT_PACING]);
      const result = await new DialectMigrator({ connection: conn, migrations: await loadMigrations(tempTree(concurrently)) }).migrate();
      expect((result.error as MfmigError).code).toBe('MIGRATION_INVALID');
      expect((result.error as MfmigError).context).toMatchObject({ line: 3 });
      expect(result.results.flatMap((r) => r.statements ?? [])).toEqual([]);
    } finally {
      await conn.close();
    }
    expect(await publicTables(url)).toEqual([]);
  });

  it('with the flag switched off, the file runs and the server refuses the statement; the transaction rolls back the table before it', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url, { nonTransactionalStatements: false });
    try {
      const result = await new DialectMigrator({ connection: conn, migrations: await loadMigrations(tempTree(concurrently)) }).migrate();
      expect((result.error as MfmigError).code).toBe('MIGRATION_FAILED');
      expect(result.results[0]?.statements?.[0]).toMatch(/^CREATE TABLE people/);
    } finally {
      await conn.close();
    }
    expect(await publicTables(url)).toEqual([]);
  });
});
