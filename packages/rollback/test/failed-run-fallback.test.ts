import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSqlite } from '@mfmig/test-support';
import { openDatabase } from '@mfmig/core';
import { RollbackManager } from '@mfmig/rollback';
import { tempDir } from './helpers.js';

/**
 * A run whose downs cannot take it back: 0002's foreign key targets a column that is not a key,
 * which SQLite accepts at CREATE but refuses on every change to `posts`, DROP TABLE included.
 */
function folder(dir: string): string {
  openDatabase(join(dir, 'app.db'), { create: true }).close();
  const migrations = join(dir, 'migrations');
  mkdirSync(join(migrations, 'mvp1'), { recursive: true });
  writeFileSync(
    join(migrations, 'mvp1', '0001_users.sql'),
    "-- migrate:up\nCREATE TABLE users (id integer, name text);\nINSERT INTO users VALUES (1, 'ada'), (2, 'grace');\n-- migrate:down\nDROP TABLE users;\n",
  );
  writeFileSync(
    join(migrations, 'mvp1', '0002_posts.sql'),
    '-- migrate:up\nCREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));\n-- migrate:down\nDROP TABLE posts;\n',
  );
  return migrations;
}

const read = readSqlite;

/** Applies 0001 alone, then 0002 as the run that will be taken back; returns that run. */
async function appliedRun(manager: RollbackManager) {
  const migrator = await manager.context.migrator();
  expect((await migrator.migrate({ version: 1 })).error).toBeUndefined();
  const run = await (await manager.context.migrator()).migrate({ latest: true });
  expect([run.error, run.toVersion]).toEqual([undefined, 2]);
  return run;
}

describe('a failed run whose downs fail', () => {
  it('is taken back by its pre-run backup, keeps the replaced file aside, and status says so', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const manager = new RollbackManager({ database: db, migrationsPath: folder(dir), backupPath: join(dir, 'backups') });
    const run = await appliedRun(manager);
    // the application writes between the backup and the failure: the kept file has it
    manager.context.adapter.run("INSERT INTO users VALUES (3, 'late')");
    const recovery = await manager.recoverFailedRun({ ...run, error: new Error('post-migration validation failed') });
    expect([recovery.success, recovery.revertedBy, recovery.toVersion, recovery.restoredFrom?.id]).toEqual([
      true,
      'pre-run-backup',
      1,
      run.extras.backup && (run.extras.backup as { id: string }).id,
    ]);
    expect(recovery.downsFailure).toMatch(/foreign key mismatch/);
    const status = (await manager.context.migrator()).status();
    expect(status.problems.map((p) => [p.code, p.version, p.severity])).toEqual([['MIGRATION_FAILED', 2, 'warning']]);
    manager.close();
    expect(read(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('users', 'posts') ORDER BY 1")).toEqual([{ name: 'users' }]);
    expect(read(db, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: 1, name: 'ada' },
      { id: 2, name: 'grace' },
    ]);
    expect(read(db, 'SELECT version FROM mfmig_history ORDER BY version')).toEqual([{ version: 1 }]);
    expect(existsSync(recovery.savedAside!)).toBe(true);
    expect(read(recovery.savedAside!, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('without a pre-run backup is recorded as not reverted: an error in status until a later migration lands on top', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const migrations = folder(dir);
    const manager = new RollbackManager({ database: db, migrationsPath: migrations, backupPath: join(dir, 'backups') }, { backupBeforeRun: false });
    const run = await appliedRun(manager);
    await expect(manager.recoverFailedRun({ ...run, error: new Error('post-migration validation failed') })).rejects.toMatchObject({
      code: 'ROLLBACK_FAILED',
    });
    const problems = () => manager.context.migrator().then((m) => m.status().problems.map((p) => [p.code, p.version, p.severity]));
    expect(await problems()).toEqual([['RUN_NOT_REVERTED', 2, 'error']]);
    expect(read(db, 'SELECT version FROM mfmig_history ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
    writeFileSync(
      join(migrations, 'mvp1', '0003_key.sql'),
      '-- migrate:up\nCREATE UNIQUE INDEX users_id ON users (id);\n-- migrate:down\nDROP INDEX users_id;\n',
    );
    manager.close();
    const fixed = new RollbackManager({ database: db, migrationsPath: migrations, backupPath: join(dir, 'backups') }, { backupBeforeRun: false });
    expect((await (await fixed.context.migrator()).migrate({ latest: true })).error).toBeUndefined();
    expect((await fixed.context.migrator()).status().problems).toEqual([]);
    fixed.close();
  });
});
