import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServiceContext, createServiceContext, openSqlite } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

/** A rollback-journal database whose `tags` rows all point at parents that do not exist. */
function orphansDatabase(dir: string, orphans: number): string {
  const path = join(dir, 'orphans.db');
  const db = new Database(path);
  // written by an application that never switched foreign keys on
  db.pragma('foreign_keys = OFF');
  db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY, title TEXT); CREATE TABLE tags (entry_id INTEGER REFERENCES entries (id), tag TEXT)');
  db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO tags (entry_id, tag) SELECT i, 'x' FROM n").run(orphans);
  db.close();
  return path;
}

describe('a service context on the async boundary', () => {
  it('hands out one SqliteConnection over its own database: what one writes, the other reads', async () => {
    const path = join(tempDir(), 'kb.db');
    const ctx = createServiceContext({ database: path }, { create: true });
    try {
      expect(ctx.connection).toBe(ctx.connection);
      expect(ctx.connection.target).toBe(ctx.adapter.filePath);
      await ctx.connection.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
      await ctx.connection.execute('INSERT INTO notes (body) VALUES ($1)', ['kept']);
      expect(ctx.adapter.all('SELECT body FROM notes')).toEqual([{ body: 'kept' }]);
    } finally {
      ctx.close();
    }
  });
});

describe('a context made by an older copy of the package, without a connection', () => {
  it('is given one over the adapter it holds, made again when that adapter is swapped', async () => {
    const dir = tempDir();
    const first = createServiceContext({ database: join(dir, 'a.db') }, { create: true });
    const second = createServiceContext({ database: join(dir, 'b.db') }, { create: true });
    let current = first;
    // what an older copy hands over: the brand and the fields it knew, a live adapter getter, no connection
    const older = {
      [Symbol.for('mfmig.service-context')]: true,
      config: first.config,
      get adapter() {
        return current.adapter;
      },
      events: first.events,
      logger: first.logger,
      plugins: first.plugins,
      setTableRebuilder: first.setTableRebuilder,
      loadMigrations: first.loadMigrations,
      migrator: first.migrator,
      close: () => current.close(),
    } as unknown as ServiceContext;
    try {
      const ctx = createServiceContext(older);
      expect(ctx.connection.target).toBe(first.adapter.filePath);
      expect(ctx.connection).toBe(ctx.connection);
      await ctx.connection.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY)');
      expect(first.adapter.tableExists('notes')).toBe(true);
      current = second;
      expect(ctx.adapter).toBe(second.adapter);
      expect(ctx.connection.target).toBe(second.adapter.filePath);
      expect(await ctx.connection.hasTable('notes')).toBe(false);
    } finally {
      first.close();
      second.close();
    }
  });
});

describe('SqliteConnection reads', () => {
  it('counts every row of a statement while the caller keeps only a few (forEachRow)', async () => {
    const conn = await openSqlite(orphansDatabase(tempDir(), 30_000));
    try {
      const kept: Record<string, unknown>[] = [];
      const total = await conn.forEachRow('PRAGMA foreign_key_check(tags)', [], (row) => {
        if (kept.length < 20) kept.push(row);
      });
      expect(total).toBe(30_000);
      expect(kept).toHaveLength(20);
      expect(kept[0]).toMatchObject({ table: 'tags', parent: 'entries' });
      // numbered and named parameters, as query binds them
      expect(await conn.forEachRow('SELECT * FROM tags WHERE entry_id <= $1', [5], () => {})).toBe(5);
      expect(await conn.forEachRow('SELECT * FROM tags WHERE entry_id <= :last', [{ last: 7 }], () => {})).toBe(7);
      await expect(conn.forEachRow('SELECT * FROM no_such_table', [], () => {})).rejects.toThrow(/no such table/);
    } finally {
      await conn.close();
    }
  });

  it('counts foreign key violations of one table or of the whole database as foreignKeyCheck lists them', async () => {
    const conn = await openSqlite(orphansDatabase(tempDir(), 300));
    try {
      await conn.execute('CREATE TABLE clean (id INTEGER PRIMARY KEY, entry_id INTEGER REFERENCES entries (id))');
      expect(await conn.foreignKeyViolationCount('tags')).toBe(300);
      expect(await conn.foreignKeyViolationCount('clean')).toBe(0);
      expect(await conn.foreignKeyViolationCount()).toBe((await conn.foreignKeyCheck()).length);
      expect((await conn.foreignKeyCheck('tags'))[0]).toMatchObject({ table: 'tags', parent: 'entries' });
    } finally {
      await conn.close();
    }
  });

  it('reads a snapshot of a rollback-journal file that the application writes past, and deletes it on release', async () => {
    const dir = tempDir();
    const path = orphansDatabase(dir, 2_000);
    const conn = await openSqlite(path);
    try {
      const snapshot = await conn.readSnapshot({ minBytes: 0 });
      expect(snapshot).not.toBeNull();
      expect(snapshot!.path).not.toBe(path);
      await conn.execute("INSERT INTO entries (title) VALUES ('later')");
      expect(await snapshot!.connection.query('SELECT count(*) AS n FROM entries')).toEqual([{ n: 0 }]);
      expect(await snapshot!.connection.query('SELECT count(*) AS n FROM tags')).toEqual([{ n: 2_000 }]);
      expect(await conn.query('SELECT count(*) AS n FROM entries')).toEqual([{ n: 1 }]);
      snapshot!.release();
      expect(readdirSync(dir).filter((name) => name.includes('.mfmig-snapshot-'))).toEqual([]);
      // below the size given, the live file is read directly
      expect(await conn.readSnapshot({ minBytes: 1024 ** 3 })).toBeNull();
    } finally {
      await conn.close();
    }
  });

  it('opens an empty in-memory database that no file holds', async () => {
    const conn = await openSqlite(':memory:');
    try {
      expect(conn.isMemory).toBe(true);
      expect(await conn.readSnapshot({ minBytes: 0 })).toBeNull();
      expect(await conn.introspector.tables()).toEqual([]);
    } finally {
      await conn.close();
    }
  });
});
