import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSqlite } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const read = readSqlite;

describe('migrate, when post-migration validation fails and the run cannot be reverted by its downs', () => {
  it('restores the pre-run backup, exits 1, and status names the failed migration until a fixed file applies', () => {
    const dir = tempDir();
    const db = join(dir, 'knowledge.db');
    writeMigrations(dir, {
      'mvp1/0001_users.sql': sqlMigration(
        "CREATE TABLE users (id integer, name text);\nINSERT INTO users VALUES (1, 'ada'), (2, 'grace');",
        'DROP TABLE users;',
      ),
      // the foreign key targets a column that is not a key: validation flags it, and SQLite refuses the down's DROP TABLE
      'mvp1/0002_posts.sql': sqlMigration('CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));', 'DROP TABLE posts;'),
    });
    expect(mfmig(dir, ['--json', 'migrate', '--to', '1']).code).toBe(0);
    const run = mfmig(dir, ['--json', 'migrate']);
    expect([run.code, run.json.error.code]).toEqual([1, 'VALIDATION_FAILED']);
    expect(read(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('users', 'posts')")).toEqual([{ name: 'users' }]);
    expect(read(db, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: 1, name: 'ada' },
      { id: 2, name: 'grace' },
    ]);
    const status = mfmig(dir, ['--json', 'status']);
    expect([status.json.currentVersion, status.json.problems.map((p: { code: string; version: number }) => [p.code, p.version])]).toEqual([
      1,
      [['MIGRATION_FAILED', 2]],
    ]);
    const aside = read(db, "SELECT detail FROM mfmig_audit WHERE action = 'run-recovered'") as { detail: string }[];
    const kept = /kept as (\S+\.db)/.exec(aside[0]!.detail)?.[1];
    expect(kept && existsSync(kept) && read(kept, 'SELECT count(*) AS n FROM posts')).toEqual([{ n: 0 }]);
    writeMigrations(dir, {
      'mvp1/0002_posts.sql': sqlMigration('CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);', 'DROP TABLE posts;'),
    });
    const fixed = mfmig(dir, ['--json', 'migrate']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(mfmig(dir, ['--json', 'status']).json.problems).toEqual([]);
  });
});
