// Migrations written the way other projects write them (for SQLite's default: foreign keys OFF)
// must never delete rows through a cascade, nor leave references to dropped tables; each case
// runs on a real file with rows in it and asserts on the data.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DatabaseAdapter,
  DialectMigrator,
  type MfmigError,
  type MigrationSet,
  Migrator,
  SqliteConnection,
  isMfmigError,
  loadMigrations,
  openDatabase,
} from '@mfmig/core';

const INIT = `-- migrate:up
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE book(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE, title TEXT);
-- migrate:down
DROP TABLE book;
DROP TABLE author;`;

const RENAME_FIRST = `ALTER TABLE author RENAME TO _author_old;
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author(id, name) SELECT id, coalesce(name, '') FROM _author_old;
DROP TABLE _author_old;`;

const CREATE_FIRST = `CREATE TABLE author_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author_new(id, name) SELECT id, coalesce(name, '') FROM author;
DROP TABLE author;
ALTER TABLE author_new RENAME TO author;`;

/** What these tests ask of a runner: both SQLite runners, the plugin one and the one on the async boundary, pass them alike. */
interface Runner {
  migrate(
    target?: { latest: true } | { version: number },
    options?: { dryRun?: boolean },
  ): Promise<{ error?: Error; results: { version: number; status: string }[] }>;
}
const RUNNERS: [string, (adapter: DatabaseAdapter, migrations: MigrationSet) => Runner][] = [
  ['Migrator', (adapter, migrations) => new Migrator({ adapter, migrations })],
  ['DialectMigrator over SqliteConnection', (adapter, migrations) => new DialectMigrator({ connection: new SqliteConnection(adapter), migrations })],
];

/** A database at version 1 holding one author and two books, and a second migration `second`. */
async function atVersionOne(runner: (typeof RUNNERS)[number][1], second: Record<string, string>, extraRows = '') {
  const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
  const files: Record<string, string> = { 'mvp1/0001_init.sql': INIT, ...second };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'migrations', path)), { recursive: true });
    writeFileSync(join(dir, 'migrations', path), text);
  }
  const adapter = openDatabase(join(dir, 'db.sqlite'), { create: true });
  const migrator = runner(adapter, await loadMigrations(join(dir, 'migrations')));
  expect((await migrator.migrate({ version: 1 })).error).toBeUndefined();
  adapter.raw.exec(`INSERT INTO author VALUES (1, 'Ann'), (2, NULL); INSERT INTO book VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'z'); ${extraRows}`);
  return { adapter, migrator };
}

const books = (a: DatabaseAdapter) => a.all('SELECT id, author_id, title FROM book ORDER BY id');
const versions = (a: DatabaseAdapter) => a.all<{ version: number }>('SELECT version FROM mfmig_history ORDER BY version').map((r) => r.version);
const bookSql = (a: DatabaseAdapter) => a.get<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'book'")?.sql;
const check = (error: Error | undefined) => (isMfmigError(error) ? (error as MfmigError).context.check : undefined);
const up = (body: string, header = '') => `${header}-- migrate:up\n${body}\n`;

describe.each(RUNNERS)('%s', (_name, runner) => {
  describe('plain-SQL table rebuilds never delete child rows', () => {
    it('rename-first with PRAGMA foreign_keys = off: refused for the dangling reference, every row kept', async () => {
      const { adapter, migrator } = await atVersionOne(runner, {
        'mvp2/0002_rebuild.sql': up(`PRAGMA foreign_keys = off;\n${RENAME_FIRST}\nPRAGMA foreign_keys = on;`),
      });
      const before = books(adapter);
      const result = await migrator.migrate();
      expect(check(result.error)).toBe('dangling-foreign-key');
      expect(result.error?.message).toMatch(/ALTER TABLE author RENAME TO _author_old/);
      expect(books(adapter)).toEqual(before);
      expect(versions(adapter)).toEqual([1]);
      expect(bookSql(adapter)).toMatch(/REFERENCES author\(id\)/);
      expect(adapter.foreignKeysEnabled()).toBe(true);
    });

    it('rename-first with PRAGMA legacy_alter_table = on as well: applied, every row kept, no dangling reference', async () => {
      const { adapter, migrator } = await atVersionOne(runner, {
        'mvp2/0002_rebuild.sql': up(`PRAGMA foreign_keys = off;\nPRAGMA legacy_alter_table = on;\n${RENAME_FIRST}\nPRAGMA foreign_keys = on;`),
      });
      const before = books(adapter);
      const result = await migrator.migrate();
      expect(result.error).toBeUndefined();
      expect(books(adapter)).toEqual(before);
      expect(bookSql(adapter)).toMatch(/REFERENCES author\(id\)/);
      expect(adapter.all('PRAGMA foreign_key_check')).toEqual([]);
      expect(Number(adapter.raw.pragma('legacy_alter_table', { simple: true }))).toBe(0);
      expect(adapter.foreignKeysEnabled()).toBe(true);
    });

    it("create-first (SQLite's documented order) with no header: refused for the cascade, naming the table and the rows", async () => {
      const { adapter, migrator } = await atVersionOne(runner, { 'mvp2/0002_rebuild.sql': up(CREATE_FIRST) });
      const before = books(adapter);
      const result = await migrator.migrate();
      expect(check(result.error)).toBe('cascade');
      expect((result.error as MfmigError).context.losses).toEqual([expect.objectContaining({ table: 'book', kind: 'deleted', rows: 3, parents: ['author'] })]);
      expect(result.error?.message).toMatch(/3 row\(s\) of book/);
      expect(books(adapter)).toEqual(before);
      expect(versions(adapter)).toEqual([1]);
      expect(adapter.tableExists('author_new')).toBe(false);
    });

    it.each([
      ['the -- foreign-keys: off header', up(CREATE_FIRST, '-- foreign-keys: off\n')],
      ['PRAGMA foreign_keys = OFF in the file', up(`PRAGMA foreign_keys = OFF;\n${CREATE_FIRST}\nPRAGMA foreign_keys = ON;`)],
      ["the author's own BEGIN/COMMIT around it", up(`PRAGMA foreign_keys=0;\nBEGIN TRANSACTION;\n${CREATE_FIRST}\nCOMMIT;\nPRAGMA foreign_keys=1;`)],
    ])('create-first with %s: applied with every row kept', async (_name, text) => {
      const { adapter, migrator } = await atVersionOne(runner, { 'mvp2/0002_rebuild.sql': text });
      const before = books(adapter);
      const result = await migrator.migrate();
      expect(result.error).toBeUndefined();
      expect(books(adapter)).toEqual(before);
      expect(versions(adapter)).toEqual([1, 2]);
      expect(adapter.all('PRAGMA foreign_key_check')).toEqual([]);
      expect(adapter.foreignKeysEnabled()).toBe(true);
    });
  });

  describe('rows removed from a table the migration never names', () => {
    it('refuses a DELETE of parents that cascades into children, and accepts one that deletes the children itself', async () => {
      const cascading = await atVersionOne(runner, { 'mvp2/0002_purge.sql': up('DELETE FROM author WHERE id = 1;') });
      expect(check((await cascading.migrator.migrate()).error)).toBe('cascade');
      expect(books(cascading.adapter)).toHaveLength(3);

      const explicit = await atVersionOne(runner, { 'mvp2/0002_purge.sql': up('DELETE FROM book WHERE author_id = 1;\nDELETE FROM author WHERE id = 1;') });
      expect((await explicit.migrator.migrate()).error).toBeUndefined();
      expect(books(explicit.adapter)).toEqual([{ id: 3, author_id: 2, title: 'z' }]);
    });

    it('refuses INSERT OR REPLACE of an existing parent (REPLACE deletes it, and the cascade its books)', async () => {
      const { adapter, migrator } = await atVersionOne(runner, {
        'mvp2/0002_upsert.sql': up("INSERT OR REPLACE INTO author (id, name) VALUES (1, 'Ann B.');"),
      });
      const result = await migrator.migrate();
      expect(check(result.error)).toBe('cascade');
      expect(books(adapter)).toHaveLength(3);
    });

    it('refuses rows a user trigger deletes from another table', async () => {
      const { adapter, migrator } = await atVersionOne(runner, {
        'mvp2/0002_trigger.sql': up(`CREATE TABLE note(id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES book(id) ON DELETE CASCADE);
  INSERT INTO note VALUES (1, 1);
  CREATE TRIGGER note_cleanup AFTER UPDATE OF title ON book BEGIN DELETE FROM note WHERE book_id = NEW.id; END;`),
        'mvp2/0003_retitle.sql': up('UPDATE book SET title = upper(title);'),
      });
      const result = await migrator.migrate();
      expect(result.error).toBeDefined();
      expect(result.results.find((r) => r.version === 3)?.status).toBe('Error');
      expect(check(result.error)).toBe('cascade');
      expect(adapter.all('SELECT id FROM note')).toEqual([{ id: 1 }]);
      expect(adapter.all('SELECT title FROM book ORDER BY id')).toEqual([{ title: 'x' }, { title: 'y' }, { title: 'z' }]);
    });

    it('refuses a rebuild that would clear ON DELETE SET NULL links', async () => {
      const { adapter, migrator } = await atVersionOne(
        runner,
        { 'mvp2/0002_rebuild.sql': up(CREATE_FIRST) },
        'CREATE TABLE review(id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES author(id) ON DELETE SET NULL); INSERT INTO review VALUES (1, 1);',
      );
      adapter.raw.exec('DELETE FROM book');
      const result = await migrator.migrate();
      expect(check(result.error)).toBe('cascade');
      expect((result.error as MfmigError).context.losses).toEqual([expect.objectContaining({ table: 'review', kind: 'unlinked', rows: 1 })]);
      expect(adapter.all('SELECT author_id FROM review')).toEqual([{ author_id: 1 }]);
    });

    it('watches module migrations too: a raw DROP of the parent is refused, a raw delete of the child itself is not', async () => {
      const dropping = await atVersionOne(runner, { 'mvp2/0002_drop.ts': "export function up(db, ctx) { ctx.raw.exec('DROP TABLE author'); }" });
      expect(check((await dropping.migrator.migrate()).error)).toBe('cascade');
      expect(books(dropping.adapter)).toHaveLength(3);

      const own = await atVersionOne(runner, {
        'mvp2/0002_purge.ts': `export async function up(db, ctx) {
    ctx.raw.prepare('DELETE FROM book WHERE author_id = ?').run(2);
    await db.deleteFrom('author').where('id', '=', 2).execute();
  }`,
      });
      expect((await own.migrator.migrate()).error).toBeUndefined();
      expect(books(own.adapter)).toHaveLength(2);
    });

    it('stops a transaction: none file at the statement that would cascade', async () => {
      const { adapter, migrator } = await atVersionOne(runner, { 'mvp2/0002_rebuild.sql': up(CREATE_FIRST, '-- transaction: none\n') });
      const result = await migrator.migrate();
      expect(result.error?.message).toMatch(/would delete rows of book/);
      expect(books(adapter)).toHaveLength(3);
      expect(versions(adapter)).toEqual([1]);
    });

    it('reports the same refusal in a dry run, which changes nothing', async () => {
      const { adapter, migrator } = await atVersionOne(runner, { 'mvp2/0002_rebuild.sql': up(CREATE_FIRST) });
      const result = await migrator.migrate({ latest: true }, { dryRun: true });
      expect(check(result.error)).toBe('cascade');
      expect(books(adapter)).toHaveLength(3);
      expect(adapter.raw.prepare('SELECT count(*) FROM sqlite_temp_schema').pluck().get()).toBe(0);
    });
  });

  describe('foreign-key violations that existed before a migration', () => {
    const orphan = "PRAGMA foreign_keys = OFF; INSERT INTO book VALUES (9, 99, 'orphan'); PRAGMA foreign_keys = ON;";

    it('do not block a foreign-keys-off rebuild, and stay as they were', async () => {
      const { adapter, migrator } = await atVersionOne(runner, { 'mvp2/0002_rebuild.sql': up(CREATE_FIRST, '-- foreign-keys: off\n') }, orphan);
      const result = await migrator.migrate();
      expect(result.error).toBeUndefined();
      expect(books(adapter)).toHaveLength(4);
      expect(adapter.all('PRAGMA foreign_key_check')).toHaveLength(1);
    });

    it('do not excuse a new one', async () => {
      const { adapter, migrator } = await atVersionOne(
        runner,
        { 'mvp2/0002_more.sql': up("INSERT INTO book VALUES (10, 77, 'new orphan');", '-- foreign-keys: off\n') },
        orphan,
      );
      const result = await migrator.migrate();
      expect(check(result.error)).toBe('foreign-key-violation');
      expect((result.error as MfmigError).context.violations).toEqual([{ table: 'book', parent: 'author', rows: 1 }]);
      expect(books(adapter)).toHaveLength(4);
    });
  });

  describe('statements a module builds at run time', () => {
    it.each([
      ['ctx.raw.exec', (path: string) => `export function up(db, ctx) { ctx.raw.exec("ATTACH DATABASE '${path}' AS outside"); }`],
      ['ctx.raw.prepare', (path: string) => `export function up(db, ctx) { ctx.raw.prepare("VACUUM INTO '${path}'").run(); }`],
      ['ctx.exec', (path: string) => `export function up(db, ctx) { ctx.exec("CREATE TABLE [x--](a); ATTACH '${path}' AS o"); }`],
      ['a Kysely query', () => `export async function up(db) { await db.schema.createTable('mfmig_history_copy').addColumn('a', 'text').execute(); }`],
      ['the history, through ctx.raw', () => `export function up(db, ctx) { ctx.raw.prepare("UPDATE mfmig_history SET checksum = 'forged'").run(); }`],
    ])('are checked before they run: %s', async (_how, body) => {
      const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
      const outside = join(dir, 'outside.db');
      const { adapter, migrator } = await atVersionOne(runner, { 'mvp2/0002_sneaky.js': body(outside) });
      const history = adapter.all('SELECT * FROM mfmig_history');
      const result = await migrator.migrate();
      expect(result.error).toMatchObject({ code: 'MIGRATION_FORBIDDEN' });
      expect(existsSync(outside)).toBe(false);
      expect(adapter.all('SELECT * FROM mfmig_history')).toEqual(history);
      expect(
        adapter
          .all('PRAGMA database_list')
          .map((d) => (d as { name: string }).name)
          .filter((n) => n !== 'main' && n !== 'temp'),
      ).toEqual([]);
      expect(adapter.tableExists('mfmig_history_copy')).toBe(false);
    });
  });
});

describe('SQL files that manage settings and transactions themselves', () => {
  it('refuses a ROLLBACK in a transactional file when loading it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
    mkdirSync(join(dir, 'mvp1'));
    writeFileSync(join(dir, 'mvp1', '0001_x.sql'), up('BEGIN; CREATE TABLE t(a); ROLLBACK;'));
    await expect(loadMigrations(dir)).rejects.toMatchObject({ code: 'MIGRATION_INVALID' });
  });

  it('refuses a ROLLBACK whose TO is only in a comment or a name, and allows ROLLBACK TO a savepoint', async () => {
    for (const rollback of ['ROLLBACK /* TO */;', 'ROLLBACK; -- TO', 'ROLLBACK TRANSACTION "to";']) {
      const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
      mkdirSync(join(dir, 'mvp1'));
      writeFileSync(join(dir, 'mvp1', '0001_x.sql'), up(`CREATE TABLE t(a); ${rollback} CREATE TABLE u(a);`));
      await expect(loadMigrations(dir), rollback).rejects.toMatchObject({ code: 'MIGRATION_INVALID' });
    }
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
    mkdirSync(join(dir, 'mvp1'));
    writeFileSync(join(dir, 'mvp1', '0001_x.sql'), up('SAVEPOINT s; CREATE TABLE t(a); rollback transaction to savepoint s; RELEASE s;'));
    expect((await loadMigrations(dir)).migrations).toHaveLength(1);
  });

  it('refuses a file whose header and PRAGMA disagree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
    mkdirSync(join(dir, 'mvp1'));
    writeFileSync(join(dir, 'mvp1', '0001_x.sql'), up('PRAGMA foreign_keys = off; CREATE TABLE t(a);', '-- foreign-keys: on\n'));
    await expect(loadMigrations(dir)).rejects.toMatchObject({ code: 'MIGRATION_INVALID' });
  });

  it('reads the settings per section', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-safety-'));
    mkdirSync(join(dir, 'mvp1'));
    writeFileSync(
      join(dir, 'mvp1', '0001_x.sql'),
      '-- migrate:up\nCREATE TABLE t(a);\n-- migrate:down\nPRAGMA foreign_keys = off;\nPRAGMA legacy_alter_table = 1;\nDROP TABLE t;\n',
    );
    const [m] = (await loadMigrations(dir)).migrations;
    expect(m!.connection).toEqual({ up: { foreignKeys: 'on', legacyAlterTable: false }, down: { foreignKeys: 'off', legacyAlterTable: true } });
    expect(m!.foreignKeys).toBe('on');
  });
});
