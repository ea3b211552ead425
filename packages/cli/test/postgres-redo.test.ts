import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const versions = async (url: string) => (await rows(url, 'SELECT version FROM mfmig_history ORDER BY version')).map((r) => Number(r.version));

describe('mfmig redo on PostgreSQL', () => {
  it('reverts the last migration and applies it again, putting back the rows its down dropped', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_teams.sql': sqlMigration('CREATE TABLE teams (id integer PRIMARY KEY);', 'DROP TABLE teams;'),
      'mvp1/0002_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;'),
    });
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await rows(url, "INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 50) g");
    const notes = () => rows(url, "SELECT count(*)::int AS n, md5(string_agg(id || ':' || body, ',' ORDER BY id)) AS digest FROM notes");
    const kept = await notes();
    const before = await rows(url, 'SELECT applied_at FROM mfmig_history WHERE version = 2');
    const redo = cli('redo');
    expect([redo.code, redo.json.success, redo.json.migration.version, redo.json.rollback.toVersion, redo.json.reapplied.toVersion], redo.stderr).toEqual([
      0,
      true,
      2,
      1,
      2,
    ]);
    expect(await notes()).toEqual(kept);
    expect(kept[0]!.n).toBe(50);
    expect(await versions(url)).toEqual([1, 2]);
    expect((await rows(url, 'SELECT applied_at FROM mfmig_history WHERE version = 2'))[0]!.applied_at > before[0]!.applied_at).toBe(true);
    expect(await rows(url, 'SELECT * FROM mfmig_lock')).toEqual([]);
  });

  it('refuses a last migration without a down, and pending migrations below it, changing nothing', async () => {
    const refusal = async (files: Record<string, string>, later: Record<string, string>, code: string) => {
      const url = await scratchDatabase();
      const dir = tempDir();
      writeMigrations(dir, files);
      expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
      writeMigrations(dir, later);
      const before = await versions(url);
      const redo = mfmig(dir, ['--db', url, '--json', 'redo']);
      expect([redo.code, redo.json.error.code]).toEqual([3, code]);
      expect(await versions(url)).toEqual(before);
    };
    const teams = sqlMigration('CREATE TABLE teams (id integer PRIMARY KEY);', 'DROP TABLE teams;');
    await refusal({ 'mvp1/0001_teams.sql': teams, 'mvp1/0003_keep.sql': '-- migrate:up\nCREATE TABLE kept (id integer);\n' }, {}, 'NO_DOWN_MIGRATION');
    await refusal(
      { 'mvp1/0001_teams.sql': teams, 'mvp1/0003_kept.sql': sqlMigration('CREATE TABLE kept (id integer);', 'DROP TABLE kept;') },
      { 'mvp1/0002_late.sql': sqlMigration('CREATE TABLE late (id integer);', 'DROP TABLE late;') },
      'REDO_REFUSED',
    );
  });

  it('exits 1 and leaves the migration reverted, its rows archived, when applying it again fails; a later migrate puts them back', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_log.sql': sqlMigration('CREATE TABLE log (id integer PRIMARY KEY);', 'DROP TABLE log;'),
      // the down leaves its log row behind: the second up collides with it
      'mvp1/0002_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text);\nINSERT INTO log VALUES (2);', 'DROP TABLE notes;'),
    });
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await rows(url, "INSERT INTO notes VALUES (1, 'kept'), (2, 'kept too')");
    const redo = cli('redo');
    expect([redo.code, redo.json.error.code]).toEqual([1, 'MIGRATION_FAILED']);
    expect(await versions(url)).toEqual([1]);
    expect(await rows(url, "SELECT to_regclass('public.notes') IS NULL AS gone")).toEqual([{ gone: true }]);
    await rows(url, 'DELETE FROM log');
    expect(cli('migrate').code).toBe(0);
    expect(await rows(url, 'SELECT id, body FROM notes ORDER BY id')).toEqual([
      { id: 1, body: 'kept' },
      { id: 2, body: 'kept too' },
    ]);
  });
});
