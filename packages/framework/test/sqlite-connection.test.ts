import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DialectConnection, SqliteConnection, openDatabase, openPostgres, openSqlite } from '@mfmig/core';
import { createMigrationFramework, seedKnowledgeBaseOn } from '@mfmig/framework';
import { dropScratchDatabases, expectedKb, scratchDatabase } from '@mfmig/test-support';
import { REAL_MIGRATIONS, tempDir } from './helpers.js';

afterAll(dropScratchDatabases);

const ORDERED = {
  kb_entries: 'SELECT * FROM kb_entries ORDER BY id',
  kb_tags: 'SELECT * FROM kb_tags ORDER BY entry_id, tag',
  kb_feedback: 'SELECT * FROM kb_feedback ORDER BY id',
};

/** A knowledge base file at MVP1, empty, and its path. */
async function mvp1File(): Promise<string> {
  const dir = tempDir();
  const framework = createMigrationFramework({ database: join(dir, 'kb.db'), migrationsPath: REAL_MIGRATIONS, backupPath: join(dir, 'backups') });
  await framework.migrationService.executeMVPMigration(1);
  framework.context.adapter.close();
  return join(dir, 'kb.db');
}

const rowsOf = async (conn: DialectConnection) =>
  Object.fromEntries(await Promise.all(Object.entries(ORDERED).map(async ([t, sql]) => [t, await conn.query(sql)])));

describe('SqliteConnection: SQLite behind the async dialect boundary', () => {
  it('runs the boundary-written seed on SQLite and writes exactly the rows the row generator gives', async () => {
    const conn = new SqliteConnection(openDatabase(await mvp1File()));
    try {
      const counts = await seedKnowledgeBaseOn(conn, { rows: 250, seed: 3, batchSize: 100 });
      const { counts: expectedCounts, ...expectedRows } = expectedKb({ rows: 250, seed: 3 });
      expect(counts).toEqual(expectedCounts);
      const rows = await rowsOf(conn);
      expect(rows.kb_entries).toHaveLength(250);
      expect(rows.kb_feedback).toHaveLength(62);
      expect(rows).toEqual(expectedRows);
    } finally {
      await conn.close();
    }
  });

  it('reads the same kb_tags table through the boundary introspector on SQLite and PostgreSQL', async () => {
    const sqlite = new SqliteConnection(openDatabase(await mvp1File()));
    const pg = await openPostgres(await scratchDatabase());
    try {
      await pg.executeScript(
        'CREATE TABLE kb_entries (id integer PRIMARY KEY, title text NOT NULL);\nCREATE TABLE kb_tags (entry_id integer NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE, tag text NOT NULL, PRIMARY KEY (entry_id, tag));',
      );
      const shape = (t: Awaited<ReturnType<DialectConnection['introspector']['table']>>) => ({
        columns: t?.columns.map((c) => [c.name, c.nullable]),
        primaryKey: t?.primaryKey,
        foreignKeys: t?.foreignKeys.map((f) => [f.columns, f.referencedTable, f.referencedColumns, f.onDelete]),
      });
      expect(shape(await sqlite.introspector.table('kb_tags'))).toEqual(shape(await pg.introspector.table('kb_tags')));
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  it('commits or rolls back a transaction as a whole, and a nested one as a savepoint', async () => {
    const conn = new SqliteConnection(openDatabase(await mvp1File()));
    try {
      await conn.execute(
        "INSERT INTO kb_entries (id, title, problem, solution, category, created_at, updated_at) VALUES (1, 't', 'p', 's', 'JCL', 'now', 'now')",
      );
      await expect(
        conn.transaction(async () => {
          await conn.execute('UPDATE kb_entries SET usage_count = 5 WHERE id = ?', [1]);
          throw new Error('stop');
        }),
      ).rejects.toThrow('stop');
      await conn.transaction(async () => {
        await conn.execute('UPDATE kb_entries SET usage_count = 1 WHERE id = ?', [1]);
        await expect(
          conn.transaction(async () => {
            await conn.execute('UPDATE kb_entries SET usage_count = 99 WHERE id = 1');
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
      });
      expect(conn.inTransaction).toBe(false);
      expect(await conn.query('SELECT usage_count FROM kb_entries')).toEqual([{ usage_count: 1 }]);
    } finally {
      await conn.close();
    }
  });

  it('reports orphan rows as the FOREIGN_KEY_ORPHANS finding PostgreSQL gives, and a sound file as none', async () => {
    const conn = new SqliteConnection(openDatabase(await mvp1File()));
    try {
      expect(await conn.integrity.run()).toEqual([]);
      conn.adapter.runScript("PRAGMA foreign_keys = OFF; INSERT INTO kb_tags (entry_id, tag) VALUES (404, 'x'), (405, 'y'); PRAGMA foreign_keys = ON;");
      expect(await conn.integrity.run()).toEqual([expect.objectContaining({ code: 'FOREIGN_KEY_ORPHANS', severity: 'error', object: 'kb_tags' })]);
    } finally {
      await conn.close();
    }
  });

  it('guards runs with the mfmig_lock row: a second connection waits, then fails naming the holder', async () => {
    const file = await mvp1File();
    const first = new SqliteConnection(openDatabase(file));
    const second = new SqliteConnection(openDatabase(file));
    try {
      await first.lock.acquire({ timeoutMs: 1_000, command: 'migrate' });
      expect(await second.lock.holder()).toMatchObject({ pid: process.pid, command: 'migrate' });
      await expect(second.lock.acquire({ timeoutMs: 200, command: 'rollback' })).rejects.toMatchObject({ code: 'LOCK_HELD' });
      await first.lock.release();
      await second.lock.acquire({ timeoutMs: 1_000, command: 'rollback' });
      expect(await first.lock.holder()).toMatchObject({ command: 'rollback' });
      await second.lock.release();
    } finally {
      await first.close();
      await second.close();
    }
  });
});

/** A framework on a connection the test opened to a new file, at MVP1 with `rows` seeded entries. */
async function frameworkOnOwnConnection(rows: number, seed: number) {
  const dir = tempDir();
  const conn = await openSqlite(join(dir, 'kb.db'), { create: true });
  const framework = createMigrationFramework({ database: conn, migrationsPath: REAL_MIGRATIONS, backupPath: join(dir, 'backups') });
  await framework.migrationService.executeMVPMigration(1);
  await seedKnowledgeBaseOn(conn, { rows, seed });
  return { conn, framework };
}

describe('a framework on a SqliteConnection its caller opened', () => {
  it('migrates a seeded knowledge base to MVP2 through it, moves every entry, and leaves it open when it closes', async () => {
    const { conn, framework } = await frameworkOnOwnConnection(120, 5);
    try {
      expect(framework.context.connection).toBe(conn);
      const result = await framework.migrationService.executeMVPMigration(2);
      expect(result.toMVP).toBe(2);
    } finally {
      framework.close();
    }
    // the framework's work is in the caller's connection, which is still open
    const [incidents] = await conn.query<{ n: number }>('SELECT count(*) AS n FROM incidents');
    expect(incidents?.n).toBe(120);
    expect((await conn.history.list()).at(-1)?.status).toBe('applied');
    await conn.close();
  });
});

describe('a restore under a framework on a caller’s SqliteConnection', () => {
  it('closes that connection, as it does a handed database, and the context reads the restored file through a new one', async () => {
    const { conn, framework } = await frameworkOnOwnConnection(40, 2);
    try {
      const [tags] = await conn.query<{ n: number }>('SELECT count(*) AS n FROM kb_tags');
      const backup = await framework.rollbackManager.createBackup();
      await conn.execute('DELETE FROM kb_tags');
      await framework.rollbackManager.restoreBackup(backup.id);
      // the old connection's file was replaced: using it fails loudly rather than reading the wrong one
      await expect(conn.query('SELECT count(*) AS n FROM kb_tags')).rejects.toThrow(/not open/);
      expect(framework.context.connection).not.toBe(conn);
      expect(await framework.context.connection.query('SELECT count(*) AS n FROM kb_tags')).toEqual([tags]);
    } finally {
      framework.close();
    }
  });
});
