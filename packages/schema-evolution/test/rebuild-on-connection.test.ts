import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type Logger, isMfmigError, loadMigrations, openSqlite } from '@mfmig/core';
import { rebuildTable, rebuildTableInMigration } from '@mfmig/schema-evolution';
import { readSqlite, removeTempDirs, startAppWriter, tempDir } from '@mfmig/test-support';
import { migrationsFolder } from './helpers.js';

afterAll(() => removeTempDirs());

/** A database another tool made: a parent with cascading children, an index, a view; no mfmig table. */
function foreignDatabase(parents = 20): string {
  const path = join(tempDir(), 'app.db');
  const db = new Database(path);
  db.exec(`
    CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT);
    CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE, note TEXT);
    CREATE INDEX idx_parent_code ON parent (code);
    CREATE INDEX idx_parent_name ON parent (name);
    CREATE VIEW parent_sizes AS SELECT p.name, count(c.id) AS children FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id;
  `);
  db.transaction(() => {
    for (let p = 1; p <= parents; p++) {
      db.prepare('INSERT INTO parent (id, name, code) VALUES (?, ?, ?)').run(p, `parent ${p}`, `C${p}`);
      for (let c = 0; c < 3; c++) db.prepare('INSERT INTO child (parent_id, note) VALUES (?, ?)').run(p, `n${c}`);
    }
  })();
  db.close();
  return path;
}

const NEW_PARENT = 'CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, code TEXT, rank INTEGER NOT NULL DEFAULT 0)';

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The first column of each row of one query, read on a connection of its own. */
const column = (path: string, sql: string) => readSqlite(path, sql).map((row) => Object.values(row as object)[0]);

describe('table rebuild on the async connection', () => {
  it('rebuilds two databases side by side at once, each keeping its child rows, and leaves no mfmig table in either', async () => {
    const paths = [foreignDatabase(20), foreignDatabase(30)];
    const conns = await Promise.all(paths.map((path) => openSqlite(path)));
    try {
      const results = await Promise.all(conns.map((conn) => rebuildTable(conn, { table: 'parent', createSql: NEW_PARENT })));
      expect(results.map((r) => [r.rowsCopied, r.indexesRecreated, r.viewsRecreated])).toEqual([
        [20, 2, 1],
        [30, 2, 1],
      ]);
      for (const conn of conns) expect(await conn.foreignKeysEnabled()).toBe(true);
    } finally {
      for (const conn of conns) await conn.close();
    }
    expect(paths.map((path) => column(path, 'SELECT count(*) FROM child')[0])).toEqual([60, 90]);
    for (const path of paths) {
      expect(column(path, "SELECT name FROM sqlite_schema WHERE name LIKE 'mfmig%'")).toEqual([]);
      expect(readSqlite(path, 'PRAGMA foreign_key_check')).toEqual([]);
      expect(column(path, "SELECT name FROM pragma_table_info('parent') ORDER BY cid")).toEqual(['id', 'name', 'code', 'rank']);
    }
  });

  it('runs two rebuilds asked of one connection at once one after the other, each whole, with foreign keys back on', async () => {
    const path = foreignDatabase(20);
    const conn = await openSqlite(path);
    try {
      const [first, second] = await Promise.all([
        rebuildTable(conn, { table: 'parent', createSql: NEW_PARENT }),
        rebuildTable(conn, {
          table: 'child',
          createSql:
            'CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE, note TEXT, seen INTEGER)',
        }),
      ]);
      expect([first.rowsCopied, second.rowsCopied]).toEqual([20, 60]);
      expect([await conn.foreignKeysEnabled(), conn.inTransaction]).toEqual([true, false]);
      // a failed one does not stop the next
      const outcomes = await Promise.allSettled([
        rebuildTable(conn, { table: 'nope', createSql: 'CREATE TABLE nope (id INTEGER)' }),
        rebuildTable(conn, { table: 'parent', createSql: NEW_PARENT.replace(', rank INTEGER NOT NULL DEFAULT 0', '') }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    } finally {
      await conn.close();
    }
    expect(column(path, 'SELECT count(*) FROM child')).toEqual([60]);
    expect(column(path, "SELECT name FROM pragma_table_info('child') ORDER BY cid")).toEqual(['id', 'parent_id', 'note', 'seen']);
    expect(readSqlite(path, 'PRAGMA foreign_key_check')).toEqual([]);
  });

  it('lets an application beside it keep writing child rows: none fails, none is lost', async () => {
    const path = foreignDatabase(5000);
    const app = await startAppWriter({
      db: path,
      sql: "INSERT INTO child (parent_id, note) VALUES (1 + (:tick % 5000), 'app')",
      params: { tick: '$tick' },
      intervalMs: 5,
      busyTimeoutMs: 5000,
      foreignKeys: true,
    });
    const conn = await openSqlite(path);
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      for (let round = 0; round < 3; round++) {
        await rebuildTable(conn, { table: 'parent', createSql: round % 2 ? NEW_PARENT : NEW_PARENT.replace(', rank INTEGER NOT NULL DEFAULT 0', '') });
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    } finally {
      await conn.close();
    }
    const report = await app.stop();
    expect(report.failed).toEqual([]);
    expect(report.writes.length).toBeGreaterThan(10);
    expect(column(path, "SELECT count(*) FROM child WHERE note = 'app'")).toEqual([report.writes.length]);
    expect(column(path, 'SELECT count(*) FROM child')).toEqual([15000 + report.writes.length]);
    expect(readSqlite(path, 'PRAGMA foreign_key_check')).toEqual([]);
  });

  it.each([
    ['a table that does not exist', { table: 'nope', createSql: 'CREATE TABLE nope (id INTEGER PRIMARY KEY)' }, 'MIGRATION_FAILED'],
    ['a CREATE TABLE naming another table', { table: 'parent', createSql: 'CREATE TABLE other (id INTEGER PRIMARY KEY)' }, 'MIGRATION_INVALID'],
    ['a statement that is not a CREATE TABLE', { table: 'parent', createSql: 'DROP TABLE parent' }, 'MIGRATION_INVALID'],
    ['a CREATE TABLE SQLite refuses', { table: 'parent', createSql: 'CREATE TABLE parent (id INTEGER PRIMARY KEY,' }, 'MIGRATION_FAILED'],
    ['a column map that reads a missing column', { table: 'parent', createSql: NEW_PARENT, columnMap: { rank: 'missing + 1' } }, 'MIGRATION_FAILED'],
    ['an mfmig table', { table: 'mfmig_history', createSql: 'CREATE TABLE mfmig_history (id INTEGER)' }, 'MIGRATION_INVALID'],
  ])('refuses %s in one line and leaves the file byte for byte', async (_name, spec, code) => {
    const path = foreignDatabase();
    if (spec.table === 'mfmig_history') new Database(path).exec('CREATE TABLE mfmig_history (id INTEGER)').close();
    const before = digest(path);
    const conn = await openSqlite(path);
    let error: unknown;
    try {
      await rebuildTable(conn, spec);
    } catch (e) {
      error = e;
    } finally {
      expect(await conn.foreignKeysEnabled()).toBe(true);
      await conn.close();
    }
    expect(isMfmigError(error) && error.code).toBe(code);
    expect((error as Error).message).not.toContain('\n');
    expect(digest(path)).toBe(before);
  });

  it('refuses to run inside an open transaction, and leaves it and the file as they were', async () => {
    const path = foreignDatabase();
    const before = digest(path);
    const conn = await openSqlite(path);
    try {
      await conn.begin();
      await expect(rebuildTable(conn, { table: 'parent', createSql: NEW_PARENT })).rejects.toMatchObject({ code: 'USAGE' });
      expect(conn.inTransaction).toBe(true);
      await conn.rollback();
      await expect(
        conn
          .setForeignKeys(false)
          .then(() => conn.begin())
          .then(() => conn.setForeignKeys(true)),
      ).rejects.toMatchObject({ code: 'USAGE' });
      await conn.rollback();
    } finally {
      await conn.close();
    }
    expect(digest(path)).toBe(before);
  });

  it('under ctx.rebuildTable, skips an index whose column is gone (the failed statement handed back to the rebuild) and keeps the others', async () => {
    const path = join(tempDir(), 'kb.db');
    const root = migrationsFolder({
      mvp1: {
        '0001_schema.sql': `-- migrate:up
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);
CREATE INDEX idx_parent_code ON parent (code);
CREATE INDEX idx_parent_name ON parent (name);
INSERT INTO parent (id, name, code) VALUES (1, 'a', 'A'), (2, 'b', 'B');
INSERT INTO child (parent_id) VALUES (1), (1), (2);
`,
        '0002_drop_code.ts': `export const meta = { foreignKeys: 'off' };
export async function up(db, ctx) { ctx.rebuildTable({ table: 'parent', createSql: 'CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' }); }`,
      },
    });
    const events: Parameters<Logger['log']>[0][] = [];
    const conn = await openSqlite(path, { create: true });
    try {
      const runner = new DialectMigrator({
        connection: conn,
        migrations: await loadMigrations(root),
        rebuildTable: rebuildTableInMigration,
        logger: { log: (event) => events.push(event) },
      });
      expect((await runner.migrate()).error).toBeUndefined();
    } finally {
      await conn.close();
    }
    expect(column(path, "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'parent'")).toEqual(['idx_parent_name']);
    expect(column(path, 'SELECT count(*) FROM child')).toEqual([3]);
    expect(column(path, 'SELECT max(version) FROM mfmig_history')).toEqual([2]);
    expect(events.filter((e) => e.event === 'rebuild.index_skipped')).toHaveLength(1);
  });
});
