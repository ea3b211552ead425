import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, mfmigAsync, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const versions = async (url: string) => (await rows(url, 'SELECT version FROM mfmig_history ORDER BY version')).map((r) => Number(r.version));
const gone = async (url: string, table: string) => (await rows(url, `SELECT to_regclass('public.${table}') IS NULL AS gone`))[0]!.gone;

/** 0001 holds rows; 0002 commits; 0003 fails. `notesDown` is 0002's down. */
async function failingRun(notesDown: string, extra: string[]) {
  const url = await scratchDatabase();
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_teams.sql': sqlMigration(
      "CREATE TABLE teams (id integer PRIMARY KEY, name text);\nINSERT INTO teams VALUES (1, 'core'), (2, 'ops');",
      'DROP TABLE teams;',
    ),
    'mvp1/0002_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text);', notesDown),
    'mvp1/0003_broken.sql': sqlMigration('CREATE TABLE half (id integer);\nINSERT INTO no_such_table VALUES (1);', 'DROP TABLE half;'),
  });
  expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
  const run = mfmig(dir, ['--db', url, '--json', 'migrate', ...extra]);
  return { url, dir, run };
}

describe('migrate --rollback-on-failure and --checkpoint on PostgreSQL', () => {
  it('takes the migrations the run committed back by their downs when a later one fails', async () => {
    const { url, run } = await failingRun('DROP TABLE notes;', ['--rollback-on-failure']);
    expect([run.code, run.json.error.code, run.json.error.version]).toEqual([1, 'MIGRATION_FAILED', 3]);
    expect(await versions(url)).toEqual([1]);
    expect([await gone(url, 'notes'), await gone(url, 'half')]).toEqual([true, true]);
    expect(await rows(url, 'SELECT id, name FROM teams ORDER BY id')).toEqual([
      { id: 1, name: 'core' },
      { id: 2, name: 'ops' },
    ]);
  });

  it('restores the run checkpoint when the downs fail, and says so; without a checkpoint it leaves the run where the downs stopped', async () => {
    const withCheckpoint = await failingRun('DROP TABLE no_such_notes;', ['--rollback-on-failure', '--checkpoint']);
    expect([withCheckpoint.run.code, withCheckpoint.run.json.error.code]).toEqual([1, 'MIGRATION_FAILED']);
    expect(await versions(withCheckpoint.url)).toEqual([1]);
    expect(await gone(withCheckpoint.url, 'notes')).toBe(true);
    expect(await rows(withCheckpoint.url, 'SELECT count(*)::int AS n FROM teams')).toEqual([{ n: 2 }]);
    const audit = await rows(withCheckpoint.url, "SELECT action, version FROM mfmig_audit WHERE action = 'restore'");
    expect(audit).toEqual([{ action: 'restore', version: '1' }]);

    const without = await failingRun('DROP TABLE no_such_notes;', ['--rollback-on-failure']);
    expect(without.run.code).toBe(1);
    expect(await versions(without.url)).toEqual([1, 2]);
  });

  it('takes a checkpoint that a later resume finishes once the failure is repaired', async () => {
    const { url, dir, run } = await failingRun('DROP TABLE notes;', ['--checkpoint']);
    expect(run.code).toBe(1);
    expect(await versions(url)).toEqual([1, 2]);
    const checkpoints = mfmig(dir, ['--db', url, '--json', 'checkpoint', '--list']).json;
    expect(
      checkpoints.map((c: { position: { currentVersion: number; targetVersion: number } }) => [c.position.currentVersion, c.position.targetVersion]),
    ).toEqual([[1, 3]]);
    // what 0003 needs now exists: resume finishes the run from where it stopped, restoring nothing
    await rows(url, 'CREATE TABLE no_such_table (id integer)');
    const resumed = mfmig(dir, ['--db', url, '--json', 'resume', checkpoints[0].id]);
    expect([resumed.code, resumed.json.restored, resumed.json.fromVersion, resumed.json.toVersion], resumed.stderr).toEqual([0, false, 2, 3]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM teams')).toEqual([{ n: 2 }]);
  });

  it('two runners with --checkpoint at once: each checkpoint says where the schema stood when its own run began', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const files: Record<string, string> = { 'mvp1/0001_log.sql': sqlMigration('CREATE TABLE log (version integer NOT NULL);', 'DROP TABLE log;') };
    for (let v = 2; v <= 4; v++)
      files[`mvp1/000${v}_slow.sql`] = sqlMigration(`INSERT INTO log VALUES (${v});\nSELECT pg_sleep(0.3);`, `DELETE FROM log WHERE version = ${v};`);
    writeMigrations(dir, files);
    const runs = await Promise.all([0, 1].map(() => mfmigAsync(dir, ['--db', url, '--json', 'migrate', '--checkpoint', '--lock-timeout', '60000']).done));
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    // one runner applied all four while the other waited for the lock; the waiter's checkpoint is of version 4, not of the empty schema
    expect(runs.map((r) => r.json.fromVersion).sort()).toEqual([0, 4]);
    const checkpoints = mfmig(dir, ['--db', url, '--json', 'checkpoint', '--list']).json as {
      id: string;
      position: { currentVersion: number; pending: number[] };
    }[];
    for (const run of runs) {
      const taken = checkpoints.find((c) => c.id === run.json.extras.checkpoint.id)!;
      expect([taken.position.currentVersion, taken.position.pending.length]).toEqual([run.json.fromVersion, run.json.fromVersion === 0 ? 4 : 0]);
    }
    expect(await rows(url, 'SELECT version FROM log ORDER BY version')).toEqual([2, 3, 4].map((version) => ({ version })));
  });
});
