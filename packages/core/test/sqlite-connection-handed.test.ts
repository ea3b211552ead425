import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceContext, openSqlite } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

const MIGRATIONS = join(import.meta.dirname, '..', '..', '..', 'migrations');

/** A file with one table of `rows` rows, written by another program. */
function notesFile(rows: number, journal: 'delete' | 'wal' = 'delete'): string {
  const path = join(tempDir(), 'notes.db');
  const db = new Database(path);
  db.pragma(`journal_mode = ${journal}`);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO notes (body) SELECT 'note ' || i FROM n").run(rows);
  db.close();
  return path;
}

describe('a SqliteConnection handed to a service context', () => {
  it('is the context connection, runs the migrations, and stays open when the context closes', async () => {
    const conn = await openSqlite(join(tempDir(), 'kb.db'), { create: true });
    const ctx = createServiceContext({ database: conn, migrationsPath: MIGRATIONS }, { loadModules: false });
    expect(ctx.connection).toBe(conn);
    const run = await (await ctx.migrator()).migrate({ mvp: 1 });
    expect(run.error).toBeUndefined();
    ctx.close();
    // the caller's connection: still open, and it sees what the context wrote
    expect(await conn.hasTable('kb_entries')).toBe(true);
    expect((await conn.history.list()).length).toBe(run.results.length);
    expect(run.results.length).toBeGreaterThan(0);
    await conn.close();
  });

  it('opened read-only is refused for a read-write context (DATABASE_READONLY), and the file is unchanged', async () => {
    const path = notesFile(10);
    const before = readFileSync(path);
    const conn = await openSqlite(path, { mode: 'readonly' });
    try {
      expect(() => createServiceContext({ database: conn, migrationsPath: MIGRATIONS })).toThrow(expect.objectContaining({ code: 'DATABASE_READONLY' }));
      const readOnly = createServiceContext({ database: conn, migrationsPath: MIGRATIONS }, { mode: 'readonly', loadModules: false });
      expect(await readOnly.connection.query('SELECT count(*) AS n FROM notes')).toEqual([{ n: 10 }]);
    } finally {
      await conn.close();
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('SqliteConnection.memoryCopy', () => {
  it.each(['delete', 'wal'] as const)('copies a %s-journal file whole; what the copy changes never reaches the file', async (journal) => {
    const path = notesFile(500, journal);
    const conn = await openSqlite(path, { mode: 'readonly' });
    const copy = await conn.memoryCopy();
    try {
      expect(copy.isMemory).toBe(true);
      expect(await copy.query('SELECT count(*) AS n, sum(id) AS s FROM notes')).toEqual([{ n: 500, s: (500 * 501) / 2 }]);
      await copy.execute('DELETE FROM notes WHERE id > $1', [100]);
      await copy.execute('CREATE TABLE extra (id INTEGER PRIMARY KEY)');
      expect(await conn.query('SELECT count(*) AS n FROM notes')).toEqual([{ n: 500 }]);
      expect(await conn.hasTable('extra')).toBe(false);
    } finally {
      await copy.close();
      await conn.close();
    }
    const reread = new Database(path, { readonly: true });
    expect(reread.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 500 });
    reread.close();
  });
});

describe('SqliteConnection file checks', () => {
  it('checkIntegrity is empty for a sound file and names, at most `limit` times, the damage of an overwritten page', async () => {
    const path = notesFile(3000);
    const conn = await openSqlite(path);
    expect(await conn.checkIntegrity('quick', 5)).toEqual([]);
    expect(await conn.checkIntegrity('full', 5)).toEqual([]);
    const [leaf] = await conn.query<{ pageno: number }>(
      "SELECT pageno FROM dbstat WHERE name = 'notes' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 3",
    );
    await conn.close();
    const fd = openSync(path, 'r+');
    // the page header stays: its cells' records are garbage, which the check lists instead of giving up
    writeSync(fd, Buffer.alloc(2048, 0xa5), 0, 2048, (leaf!.pageno - 1) * 4096 + 2048);
    closeSync(fd);
    const damaged = await openSqlite(path);
    try {
      for (const level of ['quick', 'full'] as const) {
        const found = await damaged.checkIntegrity(level, 3);
        expect(found.length).toBeGreaterThan(0);
        expect(found.length).toBeLessThanOrEqual(3);
      }
    } finally {
      await damaged.close();
    }
  });

  it('changeStamp moves with its own writes and with another connection’s schema change, not with its row writes', async () => {
    const path = notesFile(3);
    const conn = await openSqlite(path);
    const other = new Database(path);
    try {
      const first = await conn.changeStamp();
      other.prepare("INSERT INTO notes (body) VALUES ('from the application')").run();
      expect(await conn.changeStamp()).toBe(first);
      await conn.execute("INSERT INTO notes (body) VALUES ('from mfmig')");
      const second = await conn.changeStamp();
      expect(second).not.toBe(first);
      other.exec('CREATE TABLE other_table (id INTEGER PRIMARY KEY)');
      expect(await conn.changeStamp()).not.toBe(second);
    } finally {
      other.close();
      await conn.close();
    }
  });

  it('setJournalMode switches a file to WAL for good; an in-memory database stays in memory mode', async () => {
    const path = notesFile(3);
    const conn = await openSqlite(path);
    expect(await conn.journalMode()).toBe('delete');
    expect(await conn.setJournalMode('wal')).toBe('wal');
    await conn.close();
    const reopened = await openSqlite(path, { mode: 'readonly' });
    expect(await reopened.journalMode()).toBe('wal');
    await reopened.close();
    const memory = await openSqlite(':memory:');
    expect(await memory.setJournalMode('wal')).toBe('memory');
    await memory.close();
  });
});
