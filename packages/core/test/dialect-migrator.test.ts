import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempTree, withClient } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const folder = tempTree;

const tables = (url: string) =>
  withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename));

describe('DialectMigrator on PostgreSQL', () => {
  it('runs a Kysely module migration inside its transaction: a throw after its DDL leaves no table and no history row', async () => {
    const url = await scratchDatabase();
    const dir = folder({
      'mvp1/0001_people.ts': `export async function up(db) {
        await db.schema.createTable('people').addColumn('id', 'serial', (c) => c.primaryKey()).addColumn('name', 'text').execute();
        await db.insertInto('people').values({ name: 'Ada' }).execute();
      }`,
      'mvp1/0002_fails.ts': `export async function up(db) {
        await db.schema.createTable('orphan').addColumn('id', 'integer').execute();
        throw new Error('stop here');
      }`,
    });
    const conn = await openPostgres(url);
    try {
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) });
      const result = await migrator.migrate();
      expect([result.fromVersion, result.toVersion, result.results.map((r) => r.status)]).toEqual([0, 1, ['Success', 'Error']]);
      expect(result.error?.message).toContain('stop here');
      expect(await tables(url)).toEqual(['mfmig_audit', 'mfmig_history', 'mfmig_lock', 'people']);
      expect(await conn.kysely.selectFrom('people').select('name').execute()).toEqual([{ name: 'Ada' }]);
      const status = await migrator.status();
      expect(status.problems.map((p) => [p.code, p.version])).toEqual([['MIGRATION_FAILED', 2]]);
    } finally {
      await conn.close();
    }
  });

  it('fingerprints the last row of the run, the row of each module and the row before a module, so that a data-only module reads as one', async () => {
    const url = await scratchDatabase();
    const dir = folder({
      'mvp1/0001_notes.sql': "-- migrate:up\nCREATE TABLE notes (id integer PRIMARY KEY, body text);\nINSERT INTO notes VALUES (1, 'a');\n",
      'mvp1/0002_tags.sql': '-- migrate:up\nCREATE TABLE tags (id integer);\n',
      'mvp1/0003_shout.ts': `export async function up(db) { await db.updateTable('notes').set({ body: 'A' }).execute(); }`,
      'mvp1/0004_pin.ts': `export async function up(db) { await db.schema.alterTable('notes').addColumn('pinned', 'boolean').execute(); }`,
      'mvp1/0005_labels.sql': '-- migrate:up\nCREATE TABLE labels (id integer);\n',
      'mvp1/0006_more.sql': '-- migrate:up\nCREATE TABLE more (id integer);\n',
    });
    const conn = await openPostgres(url);
    try {
      const result = await new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) }).migrate();
      expect(result.error).toBeUndefined();
      const hashes = new Map((await conn.history.list()).map((h) => [h.version, h.schemaHash]));
      expect([1, 2, 3, 4, 5, 6].map((v) => hashes.get(v) !== null)).toEqual([false, true, true, true, false, true]);
      // the data-only module leaves the fingerprint as it found it; the other one changes it
      expect(hashes.get(3)).toBe(hashes.get(2));
      expect(hashes.get(4)).not.toBe(hashes.get(3));
    } finally {
      await conn.close();
    }
  });

  it('reads the advisory-lock capability from the server, and guards runs by the lock row when it is switched off', async () => {
    const url = await scratchDatabase();
    const dir = folder({ 'mvp1/0001_t.sql': '-- migrate:up\nCREATE TABLE t (id integer);\n' });
    const withLocks = await openPostgres(url);
    const rowOnly = await openPostgres(url, { advisoryLocks: false });
    try {
      expect([withLocks.capabilities.advisoryLocks, rowOnly.capabilities.advisoryLocks]).toEqual([true, false]);
      await rowOnly.history.ensure();
      await rowOnly.lock.acquire({ timeoutMs: 1_000, command: 'test' });
      // a second runner with advisory locks still sees the row and gives up
      const migrator = new DialectMigrator({ connection: withLocks, migrations: await loadMigrations(dir), lockTimeout: 300 });
      const refused = await migrator.migrate();
      expect((refused.error as { code?: string } | undefined)?.code).toBe('LOCK_HELD');
      expect(await tables(url)).not.toContain('t');
      await rowOnly.lock.release();
      const done = await migrator.migrate();
      expect([done.error, done.toVersion]).toEqual([undefined, 1]);
    } finally {
      await withLocks.close();
      await rowOnly.close();
    }
  });

  it('refuses a checksum mismatch before it writes anything', async () => {
    const url = await scratchDatabase();
    const dir = folder({ 'mvp1/0001_t.sql': '-- migrate:up\nCREATE TABLE t (id integer);\n' });
    const conn = await openPostgres(url);
    try {
      expect((await new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) }).migrate()).error).toBeUndefined();
      writeFileSync(join(dir, 'mvp1/0001_t.sql'), '-- migrate:up\nCREATE TABLE t (id bigint);\n');
      writeFileSync(join(dir, 'mvp1/0002_u.sql'), '-- migrate:up\nCREATE TABLE u (id integer);\n');
      const result = await new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) }).migrate();
      expect((result.error as { code?: string } | undefined)?.code).toBe('CHECKSUM_MISMATCH');
      expect(await tables(url)).not.toContain('u');
    } finally {
      await conn.close();
    }
  });

  it('retries a migration the server aborted over a serialization failure (40001), and applies it once', async () => {
    const url = await scratchDatabase();
    const dir = folder({
      'mvp1/0001_attempts.sql': '-- migrate:up\nCREATE SEQUENCE attempts;\n',
      // a sequence does not roll back: the first attempt fails as CockroachDB fails a conflicting transaction, the second passes
      'mvp1/0002_conflicts_once.sql': `-- migrate:up
CREATE TABLE moved (id integer PRIMARY KEY);
DO $$ BEGIN IF nextval('attempts') = 1 THEN RAISE EXCEPTION 'restart transaction' USING ERRCODE = '40001'; END IF; END $$;
INSERT INTO moved VALUES (1);
`,
    });
    const conn = await openPostgres(url);
    try {
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir), lockWait: { retryDelayMs: 10 } });
      const result = await migrator.migrate();
      expect([result.error, result.toVersion]).toEqual([undefined, 2]);
      expect(await conn.query('SELECT last_value::int AS n FROM attempts')).toEqual([{ n: 2 }]);
      expect(await conn.query('SELECT id FROM moved')).toEqual([{ id: 1 }]);
    } finally {
      await conn.close();
    }
  });

  it('runs statement by statement on a server whose DDL does not roll back (transactionalDdl off): a failure leaves the statements before it, and says so', async () => {
    const url = await scratchDatabase();
    const dir = folder({
      'mvp1/0001_three.sql': '-- migrate:up\nCREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\nCREATE TABLE a (id integer);\n',
    });
    const conn = await openPostgres(url, { transactionalDdl: false });
    try {
      expect(conn.capabilities.transactionalDdl).toBe(false);
      const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(dir) });
      const dry = await migrator.migrate({ latest: true }, { dryRun: true });
      expect(dry.error).toMatchObject({ code: 'USAGE' });
      expect(await tables(url)).toEqual([]);
      const result = await migrator.migrate();
      expect(result.error?.message).toContain('2 statement(s) before it ran outside a transaction and stay applied');
      expect(await tables(url)).toEqual(['a', 'b', 'mfmig_audit', 'mfmig_history', 'mfmig_lock']);
      expect((await migrator.status()).applied).toEqual([]);
      // rollback preservation needs the transaction it does not have here: refused before anything runs
      const fixed = folder({ 'mvp1/0001_three.sql': '-- migrate:up\nCREATE TABLE c (id integer);\n-- migrate:down\nDROP TABLE c;\n' });
      const again = new DialectMigrator({
        connection: conn,
        migrations: await loadMigrations(fixed),
        participants: [{ name: 'preservation', needsTransaction: true }],
      });
      await conn.execute('DROP TABLE a, b');
      expect((await again.migrate({ latest: true }, { acceptChecksums: [] })).error).toBeUndefined();
      const down = await again.rollback({ version: 0 });
      expect(down.error).toMatchObject({ code: 'USAGE' });
      expect((await again.status()).currentVersion).toBe(1);
      expect(await tables(url)).toContain('c');
    } finally {
      await conn.close();
    }
  });
});
