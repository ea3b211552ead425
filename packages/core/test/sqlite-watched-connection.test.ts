import { describe, expect, it } from 'vitest';
import { bodyDb, createMigrationContext, openSqlite, watchSqliteStatements, type Migration } from '@mfmig/core';

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
