// `mfmig archives`: what rollbacks kept, on both dialects, for two databases side by side (two
// SQLite files in one folder with one backups folder; two schemas of one PostgreSQL database),
// each listing only its own; and bad input refused with the files left as they were.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { mfmig, pgRows, postgresTarget, sha256File, sqlMigration, sqliteTarget, tempDir, writeMigrations } from './helpers.js';
import { type Listed, postgresPair, sqlitePair } from './harness/archive-pair.js';

afterAll(dropScratchDatabases);

const CHILDREN = 'CREATE TABLE children (id integer PRIMARY KEY, parent_id integer REFERENCES parents (id))';

const MIGRATIONS = {
  'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;'),
  'mvp1/0002_tags.sql': sqlMigration('CREATE TABLE tags (id integer PRIMARY KEY, note_id integer, name text NOT NULL);', 'DROP TABLE tags;'),
};

describe.each(['sqlite', 'postgres'] as const)('mfmig archives (%s)', (dialect) => {
  it('lists what each database kept, waiting then restored, and never the other database’s', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    writeMigrations(dir, MIGRATIONS);
    const pair = dialect === 'sqlite' ? await sqlitePair(dir) : await postgresPair();
    const cli = (which: 0 | 1, ...args: string[]) => mfmig(dir, [...pair.args[which], '--json', '--yes', ...args]);
    const listed = (which: 0 | 1, ...args: string[]) => {
      const r = cli(which, 'archives', ...args);
      expect(r.code, r.stderr).toBe(0);
      return (r.json as { archives: Listed[] }).archives;
    };
    for (const which of [0, 1] as const) {
      expect(cli(which, 'migrate').code).toBe(0);
      expect(listed(which)).toEqual([]);
      await pair.query(which, `INSERT INTO notes (id, body) VALUES (1, 'n1'), (2, 'n2')`);
      await pair.query(
        which,
        `INSERT INTO tags (id, note_id, name) VALUES ${Array.from({ length: which + 2 }, (_, k) => `(${k + 1}, 1, 't${k}')`).join(', ')}`,
      );
    }

    // only the first database rolls back: its archive is listed there, the second lists nothing
    expect(cli(0, 'rollback').code).toBe(0);
    const waiting = listed(0);
    expect(waiting.map((a) => [a.version, a.table, a.kind, a.rows, a.status])).toEqual([[2, 'tags', 'table', 2, 'waiting']]);
    expect((await pair.query(0, `SELECT count(*) AS n FROM ${waiting[0]!.location}`)).map((r) => Number(r.n))).toEqual([2]);
    expect(listed(1)).toEqual([]);
    // status counts them too
    const archivesIn = (which: 0 | 1) => (cli(which, 'status').json as { archives: unknown }).archives;
    expect(archivesIn(0)).toEqual({ waiting: 1, held: 0 });
    expect(archivesIn(1)).toEqual({ waiting: 0, held: 0 });

    // the second rolls back too: each lists its own rows
    expect(cli(1, 'rollback').code).toBe(0);
    expect(listed(1).map((a) => [a.table, a.rows, a.status])).toEqual([['tags', 3, 'waiting']]);
    expect(listed(0).map((a) => [a.table, a.rows, a.status])).toEqual([['tags', 2, 'waiting']]);

    // migrate puts the first one's rows back: nothing waits there any more; --all shows the archive restored
    expect(cli(0, 'migrate').code).toBe(0);
    expect(Number((await pair.query(0, 'SELECT count(*) AS n FROM tags'))[0]!.n)).toBe(2);
    expect(listed(0)).toEqual([]);
    expect(archivesIn(0)).toEqual({ waiting: 0, held: 0 });
    expect(listed(0, '--all').map((a) => [a.table, a.rows, a.status, a.location])).toEqual([['tags', 2, 'restored', null]]);
    expect(listed(1).map((a) => [a.table, a.rows, a.status])).toEqual([['tags', 3, 'waiting']]);
  });
});

const PARENT_CHILD = {
  'mvp1/0001_parents.sql': sqlMigration('CREATE TABLE parents (id integer PRIMARY KEY);', 'DROP TABLE parents;'),
  'mvp1/0002_children.sql': sqlMigration(CHILDREN, 'DROP TABLE children;'),
};

describe.each(['sqlite', 'postgres'] as const)('mfmig archives --restore (%s)', (dialect) => {
  it('puts back rows whose key is free; a row whose parent is gone fails it whole and changes nothing', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    writeMigrations(dir, PARENT_CHILD);
    const db = dialect === 'sqlite' ? await sqliteTarget(dir) : await postgresTarget();
    const cli = (...args: string[]) => mfmig(dir, [...db.args, '--json', '--yes', ...args]);
    expect(cli('migrate').code).toBe(0);
    await db.query('INSERT INTO parents (id) VALUES (1), (2)');
    await db.query('INSERT INTO children (id, parent_id) VALUES (10, 1), (11, 2)');
    expect(cli('rollback').code).toBe(0);
    const [archive] = (cli('archives').json as { archives: Listed[] }).archives;
    expect(archive).toMatchObject({ table: 'children', rows: 2, status: 'waiting' });
    // the application makes the table again itself, and removes a parent
    await db.query(CHILDREN);
    await db.query('DELETE FROM parents WHERE id = 2');

    const file = dialect === 'sqlite' ? db.args[1]! : undefined;
    const before = file && sha256File(file);
    const refused = cli('archives', '--restore', String(archive!.id));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    if (file) expect(sha256File(file)).toBe(before);
    expect(await db.query('SELECT id FROM children')).toEqual([]);

    await db.query('INSERT INTO parents (id) VALUES (2)');
    const put = cli('archives', '--restore', String(archive!.id));
    expect(put.code, put.stderr).toBe(0);
    expect(put.json).toMatchObject({ restored: [{ inserted: 2, kept: 0, status: 'restored' }] });
    expect((await db.query('SELECT id, parent_id FROM children ORDER BY id')).map((r) => [Number(r.id), Number(r.parent_id)])).toEqual([
      [10, 1],
      [11, 2],
    ]);
    expect((cli('archives').json as { archives: Listed[] }).archives).toEqual([]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('mfmig archives --restore of several archives (%s)', (dialect) => {
  it("puts a parent table's archive back before its child's, whatever the order given, in one transaction", { timeout: 120_000 }, async () => {
    const dir = tempDir();
    writeMigrations(dir, PARENT_CHILD);
    const db = dialect === 'sqlite' ? await sqliteTarget(dir) : await postgresTarget();
    const cli = (...args: string[]) => mfmig(dir, [...db.args, '--json', '--yes', ...args]);
    expect(cli('migrate').code).toBe(0);
    await db.query('INSERT INTO parents (id) VALUES (1), (2)');
    await db.query('INSERT INTO children (id, parent_id) VALUES (10, 1), (11, 2)');
    expect(cli('rollback', '--to', '0').code).toBe(0);
    const archives = (cli('archives').json as { archives: Listed[] }).archives;
    const idOf = (table: string) => String(archives.find((a) => a.table === table)!.id);
    // the application makes both tables again itself
    await db.query('CREATE TABLE parents (id integer PRIMARY KEY)');
    await db.query(CHILDREN);

    const file = dialect === 'sqlite' ? db.args[1]! : undefined;
    const before = file && sha256File(file);
    // the child alone cannot go back: its parents are not there; nor can a list holding an unknown archive
    for (const ids of [[idOf('children')], [idOf('parents'), '999999']]) {
      const refused = cli('archives', '--restore', ...ids);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      if (file) expect(sha256File(file)).toBe(before);
      expect(await db.query('SELECT id FROM parents')).toEqual([]);
    }

    const put = cli('archives', '--restore', idOf('children'), idOf('parents'));
    expect(put.code, put.stderr).toBe(0);
    expect((put.json as { restored: { table: string; inserted: number }[] }).restored.map((r) => [r.table, r.inserted])).toEqual([
      ['parents', 2],
      ['children', 2],
    ]);
    expect((await db.query('SELECT id, parent_id FROM children ORDER BY id')).map((r) => [Number(r.id), Number(r.parent_id)])).toEqual([
      [10, 1],
      [11, 2],
    ]);
    expect((cli('archives').json as { archives: Listed[] }).archives).toEqual([]);
  });
});

describe('mfmig archives refuses bad input and changes nothing', () => {
  it('a missing database file is not created', () => {
    const dir = tempDir();
    const r = mfmig(dir, ['--db', join(dir, 'absent.db'), 'archives']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'absent.db'))).toBe(false);
  });

  it('a file that is not SQLite is left as it was', () => {
    const dir = tempDir();
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a database\n');
    const before = sha256File(file);
    const r = mfmig(dir, ['--db', file, 'archives']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(sha256File(file)).toBe(before);
  });

  it('a PostgreSQL schema that does not exist is not created', async () => {
    const url = await scratchDatabase();
    const r = mfmig(tempDir(), ['--db', url, '--schema', 'nowhere', '--json', 'archives']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ archives: [] });
    expect(await pgRows(url, "SELECT nspname FROM pg_namespace WHERE nspname IN ('nowhere', 'mfmig_archive')")).toEqual([]);
  });
});
