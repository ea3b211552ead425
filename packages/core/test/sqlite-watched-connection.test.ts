import { describe, expect, it } from 'vitest';
import { bodyDb, copySqliteRows, createMigrationContext, openSqlite, watchSqliteStatements, type Migration } from '@mfmig/core';

const quiet = { log() {} };

describe('watchSqliteStatements', () => {
  it("sees a migration body's statements before SQLite runs them, with the schema and foreign-key setting of that moment", async () => {
    const conn = await openSqlite(':memory:');
    try {
      await conn.executeScript(
        'CREATE TABLE author (id INTEGER PRIMARY KEY); CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES author ON DELETE CASCADE)',
      );
      const seen: { sql: string; foreignKeys: boolean; children: number }[] = [];
      const watched = watchSqliteStatements(conn, (sql, moment) => {
        seen.push({ sql, foreignKeys: moment.foreignKeysEnabled(), children: conn.introspector.referencingTablesSync('author').length });
      });
      const up = (_db: unknown, ctx: { exec(sql: string): void }) => {
        ctx.exec('DROP TABLE book');
        ctx.exec('DROP TABLE author');
      };
      const migration = { version: 2, name: 'drop', kind: 'module', file: '0002_drop.ts', up } as unknown as Migration;
      const ctx = createMigrationContext({
        connection: watched,
        migration,
        direction: 'up',
        dryRun: false,
        logger: quiet,
        onProgress: () => {},
        runId: 'test',
      });
      expect(ctx.connection).toBe(watched);
      await up(bodyDb(up as never, ctx), ctx);
      expect(seen.filter((s) => s.sql.startsWith('DROP'))).toEqual([
        { sql: 'DROP TABLE book', foreignKeys: true, children: 1 },
        { sql: 'DROP TABLE author', foreignKeys: true, children: 0 },
      ]);
      // the watched connection is a second one on the same database: closing it leaves the database open
      await watched.close();
      expect(await conn.hasTable('author')).toBe(false);
    } finally {
      await conn.close();
    }
  });
});

describe('copySqliteRows', () => {
  it('writes the rows a query reads into another database, values as read, and counts them', async () => {
    const from = await openSqlite(':memory:');
    const into = await openSqlite(':memory:');
    try {
      await from.executeScript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB); INSERT INTO t VALUES (1, 'a', x'00ff'), (2, NULL, NULL), (3, 'c', NULL)",
      );
      await into.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)');
      expect(await copySqliteRows(from, 'SELECT id, v, b FROM t WHERE id <> ?', [3], into, 'INSERT INTO t (id, v, b) VALUES (?, ?, ?)')).toBe(2);
      expect(await into.query('SELECT id, v, hex(b) AS b FROM t ORDER BY id')).toEqual([
        { id: 1, v: 'a', b: '00FF' },
        { id: 2, v: null, b: '' },
      ]);
      expect(into.inTransaction).toBe(false);
    } finally {
      await from.close();
      await into.close();
    }
  });
});
