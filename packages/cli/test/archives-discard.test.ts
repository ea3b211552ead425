// `mfmig archives --discard`: rows a rollback kept, deleted for good on purpose, on both dialects,
// with two databases side by side (two SQLite files; two schemas of one PostgreSQL database). The
// discard asks first, touches only the archive named in the database named, keeps the registry row
// as `discarded`, and the next migrate of that database no longer puts the rows back. Bad input is
// refused on one line with both databases as they were.
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases } from '@mfmig/test-support';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';
import { type Listed, type Pair, postgresPair, sqlitePair } from './harness/archive-pair.js';

afterAll(dropScratchDatabases);

const MIGRATIONS = {
  'mvp1/20240301090000_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;'),
  'mvp1/20240302090000_tags.sql': sqlMigration('CREATE TABLE tags (id integer PRIMARY KEY, note_id integer, name text NOT NULL);', 'DROP TABLE tags;'),
};

/** What "nothing changed" compares: each SQLite file's bytes, or each PostgreSQL schema's tags archive and registry. */
async function state(pair: Pair, dialect: 'sqlite' | 'postgres'): Promise<unknown> {
  if (dialect === 'sqlite') return pair.args.map((a) => sha256File(a[1]!));
  const archived = [];
  for (const which of [0, 1] as const) {
    const rows = await pair.query(
      which,
      'SELECT id, rows, restored_at, archive_table FROM mfmig_archive.archives WHERE source_schema = current_schema() ORDER BY id',
    );
    const held = [];
    for (const r of rows) held.push(await pair.query(which, `SELECT * FROM mfmig_archive."${String(r.archive_table)}" ORDER BY 1`));
    archived.push({ rows, held });
  }
  return archived;
}

describe.each(['sqlite', 'postgres'] as const)('mfmig archives --discard (%s)', (dialect) => {
  it(
    'deletes one database’s archived rows for good after a question, and only those; the next migrate no longer puts them back',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir();
      writeMigrations(dir, MIGRATIONS);
      const pair = dialect === 'sqlite' ? await sqlitePair(dir) : await postgresPair();
      const cli = (which: 0 | 1, ...args: string[]) => mfmig(dir, [...pair.args[which], '--json', ...args]);
      const listed = (which: 0 | 1, ...args: string[]) => (cli(which, 'archives', ...args).json as { archives: Listed[] }).archives;
      for (const which of [0, 1] as const) {
        expect(cli(which, 'migrate').code).toBe(0);
        await pair.query(which, `INSERT INTO notes (id, body) VALUES (1, 'n1')`);
        await pair.query(
          which,
          `INSERT INTO tags (id, note_id, name) VALUES ${Array.from({ length: which + 2 }, (_, k) => `(${k + 1}, 1, 't${k}')`).join(', ')}`,
        );
        expect(cli(which, '--yes', 'rollback').code).toBe(0);
      }
      const [mine] = listed(0);
      const [theirs] = listed(1);
      expect([mine!.rows, mine!.status, theirs!.rows, theirs!.status]).toEqual([2, 'waiting', 3, 'waiting']);

      // refused without a yes (no terminal to ask on); an unknown id, another database's id, and both flags at once
      const before = await state(pair, dialect);
      const refusals = [
        ['archives', '--discard', String(mine!.id)],
        ['--yes', 'archives', '--discard', '999999'],
        ['--yes', 'archives', '--discard', String(mine!.id), '999999'],
        ['--yes', 'archives', '--discard', String(mine!.id), '--restore', String(mine!.id)],
      ];
      if (theirs!.id !== mine!.id) refusals.push(['--yes', 'archives', '--discard', String(theirs!.id)]);
      for (const args of refusals) {
        const refused = cli(0, ...args);
        expect(refused.code, args.join(' ')).not.toBe(0);
        expect(refused.stderr.trim().split('\n')).toHaveLength(1);
        expect(await state(pair, dialect)).toEqual(before);
      }
      expect(cli(0, 'archives', '--discard', String(mine!.id)).code).toBe(3);

      const gone = cli(0, '--yes', 'archives', '--discard', String(mine!.id));
      expect(gone.code, gone.stderr).toBe(0);
      expect(gone.json).toMatchObject({ discarded: [{ archiveId: mine!.id, table: 'tags', rows: 2, status: 'waiting' }] });
      expect(listed(0)).toEqual([]);
      expect(listed(0, '--all').map((a) => [a.id, a.status, a.location])).toEqual([[mine!.id, 'discarded', null]]);
      // the archive table is gone; a second discard of it is refused
      const table = await pair.query(
        0,
        dialect === 'sqlite' ? `SELECT name FROM sqlite_schema WHERE name = '${mine!.location}'` : `SELECT to_regclass('${mine!.location}') AS t`,
      );
      expect(dialect === 'sqlite' ? table : table.map((r) => r.t)).toEqual(dialect === 'sqlite' ? [] : [null]);
      expect(cli(0, '--yes', 'archives', '--discard', String(mine!.id)).code).not.toBe(0);
      // the other database keeps its archive
      expect(listed(1).map((a) => [a.id, a.rows, a.status])).toEqual([[theirs!.id, 3, 'waiting']]);

      // migrate: the first database gets its tags table back empty, the second gets its rows back
      expect(cli(0, 'migrate').code).toBe(0);
      expect(cli(1, 'migrate').code).toBe(0);
      const count = async (which: 0 | 1) => Number((await pair.query(which, 'SELECT count(*) AS n FROM tags'))[0]!.n);
      expect([await count(0), await count(1)]).toEqual([0, 3]);
      expect((cli(0, 'status').json as { archives: unknown }).archives).toEqual({ waiting: 0, held: 0 });
    },
  );
});

describe('mfmig archives --discard of held and foreign archives (sqlite)', () => {
  it('deletes the rows no migrate would ever put back: a held archive and one that came in with a copy of another database', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    writeMigrations(dir, MIGRATIONS);
    const pair = await sqlitePair(dir);
    const cli = (...args: string[]) => mfmig(dir, [...pair.args[0], '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await pair.query(0, `INSERT INTO notes (id, body) VALUES (1, 'n1'), (2, 'n2')`);
    await pair.query(0, `INSERT INTO tags (id, note_id, name) VALUES (1, 1, 't1')`);
    expect(cli('--yes', 'rollback', '--to', '0').code).toBe(0);
    // as the registry records them: one kept from a failed attempt, one whose database id is not this file's
    const ids = (await pair.query(0, 'SELECT id, source_table FROM mfmig_archives ORDER BY id')).map((r) => [Number(r.id), String(r.source_table)]);
    const idOf = (table: string) => ids.find(([, t]) => t === table)![0] as number;
    await pair.query(0, `UPDATE mfmig_archives SET held = 1 WHERE id = ${idOf('tags')}`);
    await pair.query(0, `UPDATE mfmig_archives SET database_id = 'another-database' WHERE id = ${idOf('notes')}`);
    const listed = (...args: string[]) => (cli('archives', ...args).json as { archives: Listed[] }).archives.map((a) => [a.table, a.status]);
    expect(listed().sort()).toEqual([
      ['notes', 'foreign'],
      ['tags', 'held'],
    ]);

    const gone = cli('--yes', 'archives', '--discard', String(idOf('tags')), String(idOf('notes')));
    expect(gone.code, gone.stderr).toBe(0);
    expect((gone.json as { discarded: { table: string; rows: number; status: string }[] }).discarded.map((d) => [d.table, d.rows, d.status])).toEqual([
      ['tags', 1, 'held'],
      ['notes', 2, 'foreign'],
    ]);
    expect(listed()).toEqual([]);
    expect(listed('--all').sort()).toEqual([
      ['notes', 'discarded'],
      ['tags', 'discarded'],
    ]);
    expect(await pair.query(0, "SELECT name FROM sqlite_schema WHERE name LIKE 'mfmig_archive_%' AND name <> 'mfmig_archives'")).toEqual([]);
    expect(await pair.query(0, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(cli('migrate').code).toBe(0);
    expect(await pair.query(0, 'SELECT count(*) AS n FROM notes')).toEqual([{ n: 0 }]);
  });
});
