// Migrations folders laid out exactly as dbmate, golang-migrate, Flyway, sqlx and Prisma Migrate
// document them, migrated by the real binary and compared with what the sqlite3 shell gives
// applying the same up files in order.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logicalDump } from './harness/logical-dump.js';
import { assertSqliteShell, runSqliteShell } from './harness/sqlite-shell.js';
import { mfmig, tempDir, writeMigrations } from './helpers.js';
import { GOLANG_MIGRATE, TOOLS } from './harness/tool-folders.js';
import { snapshotTree } from '@mfmig/test-support';

/** The schema and rows the sqlite3 shell gives running `ups` (paths in the folder; a dbmate file's up section) in order. */
function shellReference(dir: string, ups: string[]) {
  const file = join(dir, 'reference.db');
  for (const up of ups) runSqliteShell(file, readFileSync(join(dir, 'migrations', up), 'utf8').split('-- migrate:down')[0]!, up);
  const { schema, tables } = logicalDump(file);
  return { schema, tables };
}

function migrated(dir: string, ...args: string[]) {
  const run = mfmig(dir, ['--json', ...args, 'migrate', '--yes']);
  expect(run.code, run.stderr).toBe(0);
  const { schema, tables, appliedVersions } = logicalDump(join(dir, 'knowledge.db'));
  return { schema, tables, appliedVersions };
}

describe("other tools' migrations folders, as they lie", () => {
  assertSqliteShell();

  it.each(TOOLS)('$tool: migrate gives the schema and rows the sqlite3 shell gives', ({ files, ups, versions }) => {
    const dir = tempDir();
    writeMigrations(dir, files);
    const got = migrated(dir);
    expect(got.appliedVersions).toEqual(versions);
    expect({ schema: got.schema, tables: got.tables }).toEqual(shellReference(dir, ups));
  });

  it('golang-migrate: migrate, then roll back through its down files', () => {
    const dir = tempDir();
    writeMigrations(dir, GOLANG_MIGRATE);
    const ups = ['000001_create_users_table.up.sql', '000002_add_mood_to_users.up.sql'];
    expect(migrated(dir).schema).toEqual(shellReference(dir, ups).schema);
    const back = mfmig(dir, ['--json', 'rollback', '--to', '1', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    const after = logicalDump(join(dir, 'knowledge.db'));
    expect(after.appliedVersions).toEqual([1]);
    expect(after.schema).toEqual(shellReference(tempDirWith(dir, ups.slice(0, 1)), ups.slice(0, 1)).schema);
  });

  it("new: the next migration in the folder's convention, applied by the next migrate", () => {
    const dir = tempDir();
    writeMigrations(dir, {
      '000001_create_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n',
      '000001_create_users.down.sql': 'DROP TABLE users;\n',
    });
    const made = mfmig(dir, ['--json', 'new', 'add_notes']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.json.files.map((f: string) => f.slice(dir.length + 1))).toEqual(['migrations/000002_add_notes.up.sql', 'migrations/000002_add_notes.down.sql']);
    expect(migrated(dir).appliedVersions).toEqual([1, 2]);
    const empty = tempDir();
    const first = mfmig(empty, ['--json', 'new', 'init']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.files.map((f: string) => f.slice(empty.length + 1))).toEqual(['migrations/0001_init.sql']);
    expect(migrated(empty).appliedVersions).toEqual([1]);
  });

  it('import: a Flyway folder converted keeps every checksum; a non-empty target is refused untouched', () => {
    const dir = tempDir();
    writeMigrations(dir, TOOLS.find((t) => t.tool === 'Flyway')!.files);
    migrated(dir);
    const run = mfmig(dir, ['--json', 'import', '--from', 'flyway', 'migrations', '--to', 'converted']);
    expect(run.code, run.stderr).toBe(0);
    const status = mfmig(dir, ['--json', '--migrations', 'converted', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json).toMatchObject({ format: 'mfmig', hasMilestones: false, currentMvp: 0, currentVersion: 2_000_000, pending: [] });
    expect(status.json.problems.filter((p: { code: string }) => p.code !== 'SCHEMA_DRIFT')).toEqual([]);
    writeMigrations(join(dir, 'taken'), { 'notes.txt': 'keep me' });
    const before = snapshotTree(join(dir, 'taken'));
    const refused = mfmig(dir, ['import', '--from', 'flyway', 'migrations', '--to', join('taken', 'migrations')]);
    expect(refused.code).toBe(3);
    expect(snapshotTree(join(dir, 'taken'))).toEqual(before);
  });

  it("the config file's format and milestones reach the loader: --to-mvp works on a flat folder", () => {
    const dir = tempDir();
    writeMigrations(dir, GOLANG_MIGRATE);
    writeFileSync(join(dir, 'mfmig.config.json'), JSON.stringify({ format: 'sqlx', milestones: [{ mvp: 1, through: 1 }, { mvp: 2 }] }));
    const run = mfmig(dir, ['--json', 'migrate', '--to-mvp', '1', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    const status = mfmig(dir, ['--json', 'status']);
    expect(status.json).toMatchObject({ format: 'sqlx', hasMilestones: true, currentMvp: 1, currentVersion: 1, latestMvp: 2 });
  });

  it.each([
    ['a folder in no known format', { 'changes.sql': 'CREATE TABLE t (id INTEGER);', 'notes.json': '{}' }, [], 'changes.sql'],
    [
      'a folder mixing formats',
      { '0001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n', '0002_b.sql': 'CREATE TABLE b (id INTEGER);\n' },
      [],
      '0002_b.sql',
    ],
    ['an unknown --format', { '1_a.up.sql': 'CREATE TABLE a (id INTEGER);' }, ['--format', 'liquibase'], 'liquibase'],
    ['--to-mvp on a folder without milestones', { '1_a.up.sql': 'CREATE TABLE a (id INTEGER);' }, ['--to-mvp', '1'], 'no milestones'],
  ])('%s: exit 2, the problem named, no database file created', (_what, files, args, named) => {
    const dir = tempDir();
    writeMigrations(dir, files);
    const global = args[0] === '--format' ? args : [];
    const local = args[0] === '--format' ? [] : args;
    const run = mfmig(dir, [...global, 'migrate', ...local, '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(named);
    expect(existsSync(join(dir, 'knowledge.db'))).toBe(false);
  });
});

/** A scratch folder beside `dir` holding the same migrations, for a second shell reference. */
function tempDirWith(dir: string, ups: string[]): string {
  const other = tempDir();
  writeMigrations(other, Object.fromEntries(ups.map((up) => [up, readFileSync(join(dir, 'migrations', up), 'utf8')])));
  return other;
}
