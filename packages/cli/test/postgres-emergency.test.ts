import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, snapshotTree, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';
import { pgFingerprint } from './pg-fingerprint.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const versions = async (url: string) => (await rows(url, 'SELECT version FROM mfmig_history ORDER BY version')).map((r) => Number(r.version));
const backupsOf = (dir: string) => (existsSync(join(dir, 'backups')) ? snapshotTree(join(dir, 'backups')) : {});
/** The rows archived from `table` (registry count and the archive table's own rows). */
async function archived(url: string, table: string): Promise<{ registered: number; held: number }> {
  const [entry] = await rows(url, `SELECT archive_table, rows::int AS rows FROM mfmig_archive.archives WHERE source_table = '${table}'`);
  if (!entry) return { registered: 0, held: 0 };
  const [held] = await rows(url, `SELECT count(*)::int AS n FROM mfmig_archive.${JSON.stringify(entry.archive_table)}`);
  return { registered: entry.rows, held: held!.n };
}

/** 0001: a teams table holding `values`, dropped by its down. */
const teamsMigration = (values: string) =>
  sqlMigration(`CREATE TABLE teams (id integer PRIMARY KEY, name text);\nINSERT INTO teams VALUES ${values};`, 'DROP TABLE teams;');

/** 0001 teams (rows), applied alone; then 0002 notes and 0003 tags, applied by a second run; rows in both. */
async function twoRuns() {
  const url = await scratchDatabase();
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_teams.sql': teamsMigration("(1, 'core'), (2, 'ops')"),
    'mvp1/0002_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, team_id integer REFERENCES teams (id), body text);', 'DROP TABLE notes;'),
    'mvp1/0003_tags.sql': sqlMigration('CREATE TABLE tags (id integer PRIMARY KEY, tag text);', 'DROP TABLE tags;'),
  });
  expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
  expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
  await rows(url, "INSERT INTO notes SELECT g, 1 + g % 2, 'note ' || g FROM generate_series(1, 25) g; INSERT INTO tags VALUES (1, 'urgent'), (2, 'later')");
  return { url, dir };
}

describe('emergency-rollback on PostgreSQL: a sound database and the last run', () => {
  it('refuses every type on a sound database without --yes (exit 3), and corruption even with --yes, touching nothing', async () => {
    const { url, dir } = await twoRuns();
    const before = await pgFingerprint(url);
    const files = backupsOf(dir);
    for (const type of ['performance', 'failed-migration', 'data-loss', 'corruption']) {
      const run = mfmig(dir, ['--db', url, '--json', 'emergency-rollback', type]);
      expect([run.code, run.json?.error?.code, run.stderr.trim().split('\n').length], type).toEqual([3, 'RISK_NOT_ACCEPTED', 1]);
    }
    // the schema passes the catalog checks: with the safety checks on, corruption restores nothing
    const corruption = mfmig(dir, ['--db', url, '--json', '--yes', 'emergency-rollback', 'corruption']);
    expect([corruption.code, corruption.json.success, corruption.json.error.code, corruption.json.backupUsed]).toEqual([3, false, 'RISK_NOT_ACCEPTED', null]);
    expect(await pgFingerprint(url)).toEqual(before);
    expect(backupsOf(dir)).toEqual(files);
  });

  it('performance --yes reverts the last run to where it started, keeping the rows its downs drop in archive tables', async () => {
    const { url, dir } = await twoRuns();
    const run = mfmig(dir, ['--db', url, '--json', '--yes', 'emergency-rollback', 'performance'], { EMERGENCY_CONTACTS: 'ops@example.com, dba@example.com' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ type: 'performance', success: true, restoredToVersion: 1, backupUsed: null, savedAside: null });
    expect(run.json.emergencyContacts).toEqual(['ops@example.com', 'dba@example.com']);
    expect(await versions(url)).toEqual([1]);
    expect(mfmig(dir, ['--db', url, '--json', 'status']).json.currentVersion).toBe(1);
    expect(await rows(url, "SELECT to_regclass('public.notes') IS NULL AS gone")).toEqual([{ gone: true }]);
    expect(await archived(url, 'notes')).toEqual({ registered: 25, held: 25 });
    expect(await archived(url, 'tags')).toEqual({ registered: 2, held: 2 });
    expect(await rows(url, 'SELECT count(*)::int AS n FROM teams')).toEqual([{ n: 2 }]);
    // the run applied again gets its rows back
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 25 }]);
  });

  it('failed-migration reverts a run that failed part-way, without --yes since the failure makes it unsound', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_teams.sql': teamsMigration("(1, 'core')"),
      'mvp1/0002_notes.sql': sqlMigration(
        "CREATE TABLE notes (id integer PRIMARY KEY, body text);\nINSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 7) g;",
        'DROP TABLE notes;',
      ),
      'mvp1/0003_broken.sql': sqlMigration('CREATE TABLE half (id integer);\nINSERT INTO no_such_table VALUES (1);', 'DROP TABLE half;'),
    });
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(1);
    expect(await versions(url)).toEqual([1, 2]);
    const run = mfmig(dir, ['--db', url, '--json', 'emergency-rollback', 'failed-migration']);
    expect([run.code, run.json.success, run.json.restoredToVersion], run.stderr).toEqual([0, true, 1]);
    expect(await versions(url)).toEqual([1]);
    expect(await archived(url, 'notes')).toEqual({ registered: 7, held: 7 });
    expect(await rows(url, "SELECT to_regclass('public.half') IS NULL AS gone")).toEqual([{ gone: true }]);
  });

  it("failed-migration restores the run's checkpoint when its downs fail", async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_teams.sql': teamsMigration("(1, 'core'), (2, 'ops')"),
      'mvp1/0002_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text);', 'DROP TABLE no_such_notes;'),
      'mvp1/0003_broken.sql': sqlMigration('INSERT INTO no_such_table VALUES (1);', ''),
    });
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'migrate', '--checkpoint']).code).toBe(1);
    await rows(url, "UPDATE teams SET name = 'changed after the run'");
    const checkpoints = mfmig(dir, ['--db', url, '--json', 'checkpoint', '--list']).json;
    const run = mfmig(dir, ['--db', url, '--json', 'emergency-rollback', 'failed-migration']);
    expect([run.code, run.json.success, run.json.restoredToVersion], run.stderr).toEqual([0, true, 1]);
    expect(run.json.backupUsed).toMatchObject({ id: checkpoints[0].backupId, kind: 'checkpoint', version: 1 });
    expect(await versions(url)).toEqual([1]);
    expect(await rows(url, "SELECT to_regclass('public.notes') IS NULL AS gone")).toEqual([{ gone: true }]);
    expect(await rows(url, 'SELECT name FROM teams ORDER BY id')).toEqual([{ name: 'core' }, { name: 'ops' }]);
  });
});
