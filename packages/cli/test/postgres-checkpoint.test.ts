import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const versions = async (url: string) => (await rows(url, 'SELECT version FROM mfmig_history ORDER BY version')).map((r) => Number(r.version));

const FILES = {
  'mvp1/0001_teams.sql': sqlMigration("CREATE TABLE teams (id integer PRIMARY KEY, name text);\nINSERT INTO teams VALUES (1, 'core');", 'DROP TABLE teams;'),
  'mvp1/0002_people.sql': sqlMigration('CREATE TABLE people (id integer PRIMARY KEY, team_id integer REFERENCES teams (id));', 'DROP TABLE people;'),
  'mvp2/0003_roles.sql': sqlMigration('CREATE TABLE roles (id integer PRIMARY KEY);', 'DROP TABLE roles;'),
  'mvp2/0004_grants.sql': sqlMigration('CREATE TABLE grants (role_id integer REFERENCES roles (id));', 'DROP TABLE grants;'),
};

describe('checkpoint and resume on PostgreSQL', () => {
  it('resumes the run a checkpoint recorded; restores its dump first when the schema left the run; refuses an edited migration', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    expect(cli('migrate', '--to', '1').code).toBe(0);
    const taken = cli('checkpoint', '--id', 'release-2', '--to-mvp', '2');
    expect([taken.code, taken.json.position.currentVersion, taken.json.position.targetVersion, taken.json.position.pending], taken.stderr).toEqual([
      0,
      1,
      4,
      [2, 3, 4],
    ]);
    expect(cli('checkpoint', '--list').json.map((c: { id: string }) => c.id)).toEqual([taken.json.id]);

    // the run stopped after version 2: resume finishes it
    expect(cli('migrate', '--to', '2').code).toBe(0);
    const resumed = cli('resume', taken.json.id);
    expect([resumed.code, resumed.json.restored, resumed.json.fromVersion, resumed.json.toVersion], resumed.stderr).toEqual([0, false, 2, 4]);

    // someone rolled back below the checkpoint and changed the data: auto restores the dump first
    expect(cli('--yes', 'rollback', '--to', '0', '--no-preserve-data').code).toBe(0);
    await rows(url, "CREATE TABLE teams (id integer PRIMARY KEY, name text); INSERT INTO teams VALUES (9, 'stray')");
    const never = cli('resume', taken.json.id, '--restore', 'never');
    expect([never.code, never.json.error.code]).toEqual([2, 'CHECKPOINT_INVALID']);
    const restored = cli('resume', taken.json.id);
    expect([restored.code, restored.json.restored, restored.json.toVersion], restored.stderr).toEqual([0, true, 4]);
    expect(await rows(url, 'SELECT id, name FROM teams ORDER BY id')).toEqual([{ id: 1, name: 'core' }]);
    expect(await versions(url)).toEqual([1, 2, 3, 4]);

    // past the target, and with an edited migration: refused, nothing changed
    writeMigrations(dir, { 'mvp2/0005_more.sql': sqlMigration('CREATE TABLE more (id integer);', 'DROP TABLE more;') });
    expect(cli('migrate').code).toBe(0);
    const past = cli('resume', taken.json.id);
    expect([past.code, past.json.error.code]).toEqual([2, 'CHECKPOINT_INVALID']);
    writeMigrations(dir, { 'mvp1/0002_people.sql': sqlMigration('CREATE TABLE people (id bigint PRIMARY KEY);', 'DROP TABLE people;') });
    const edited = cli('resume', taken.json.id, '--restore', 'always');
    expect([edited.code, edited.json.error.code]).toEqual([2, 'CHECKPOINT_INVALID']);
    expect(await versions(url)).toEqual([1, 2, 3, 4, 5]);
  });

  it("refuses another database's checkpoint (exit 3) and an unknown one (exit 2), changing nothing", async () => {
    const first = await scratchDatabase();
    const second = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    expect(mfmig(dir, ['--db', first, 'migrate', '--to', '1']).code).toBe(0);
    expect(mfmig(dir, ['--db', second, 'migrate', '--to', '1']).code).toBe(0);
    const taken = mfmig(dir, ['--db', first, '--json', 'checkpoint']);
    expect(taken.code, taken.stderr).toBe(0);
    const other = mfmig(dir, ['--db', second, '--json', 'resume', taken.json.id]);
    expect([other.code, other.json.error.code]).toEqual([3, 'BACKUP_OTHER_DATABASE']);
    const unknown = mfmig(dir, ['--db', second, '--json', 'resume', 'no-such-checkpoint']);
    expect([unknown.code, unknown.json.error.code]).toEqual([2, 'CHECKPOINT_INVALID']);
    expect(await versions(second)).toEqual([1]);
  });
});
