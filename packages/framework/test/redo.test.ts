import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isMfmigError } from '@mfmig/core';
import { type MigrationFramework, createMigrationFramework, planRedo, redoLastMigration } from '@mfmig/framework';
import { startIdleProcess, writeLockRow } from '@mfmig/test-support';
import { tempDir } from './helpers.js';

const up = (sql: string, down?: string) => `-- migrate:up\n${sql}\n${down === undefined ? '' : `-- migrate:down\n${down}\n`}`;

const FILES: Record<string, string> = {
  '0001_items.sql': up('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
  '0002_tags.sql': up('CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER, label TEXT);', 'DROP TABLE tags;'),
  '0003_note.sql': up('ALTER TABLE items ADD COLUMN note TEXT;', 'ALTER TABLE items DROP COLUMN note;'),
};

let framework: MigrationFramework;
afterEach(() => framework.close());

function setup(files: Record<string, string> = FILES): { dir: string; db: string } {
  const dir = tempDir();
  mkdirSync(join(dir, 'migrations', 'mvp1'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'migrations', 'mvp1', name), text);
  const db = join(dir, 'kb.db');
  framework = createMigrationFramework({ database: db, migrationsPath: join(dir, 'migrations'), backupPath: join(dir, 'backups') });
  return { dir, db };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    return isMfmigError(error) ? error.code : String(error);
  }
}

describe('rollback by steps', () => {
  it('undoes the newest applied migrations, one per step, and refuses more steps than are applied', async () => {
    setup();
    await framework.migrationService.migrateTo({ version: 1 });
    await framework.migrationService.migrateTo({ version: 3 });
    const manager = framework.rollbackManager;
    expect((await manager.createRollbackPlan({ steps: 1 })).targetVersion).toBe(2);
    expect((await manager.createRollbackPlan({ steps: 2 })).steps.map((s) => s.version)).toEqual([3, 2]);
    expect((await manager.createRollbackPlan({ steps: 3 })).targetVersion).toBe(0);
    expect(await codeOf(manager.createRollbackPlan({ steps: 4 }))).toBe('USAGE');
    expect(await codeOf(manager.createRollbackPlan({ steps: 0 }))).toBe('USAGE');
    expect(framework.context.adapter.raw.prepare('SELECT count(*) FROM mfmig_history').pluck().get()).toBe(3);
  });
});

describe('redo', () => {
  it('rolls the last migration back and applies it again, keeping the rows its down dropped', async () => {
    setup();
    await framework.migrationService.migrateTo({ latest: true });
    framework.context.adapter.raw.exec("INSERT INTO items (name, note) VALUES ('valve', 'spare'), ('pump', 'old')");
    const plan = await planRedo(framework);
    expect(plan.migration).toMatchObject({ version: 3, name: 'note' });
    // one lock from the rollback to the end of the migrate: still held when each half's run completes
    const lockRows: unknown[] = [];
    framework.context.events.on('runCompleted', () => lockRows.push(framework.context.adapter.raw.prepare('SELECT count(*) FROM mfmig_lock').pluck().get()));
    const result = await redoLastMigration(framework, plan);
    expect(lockRows).toEqual([1, 1]);
    expect(framework.context.adapter.raw.prepare('SELECT count(*) FROM mfmig_lock').pluck().get()).toBe(0);
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect(result.rollback.backup).not.toBeNull();
    expect(result.rollback.preserved.map((p) => [p.table, p.rows])).toEqual([['items', 2]]);
    expect(result.reapplied?.toVersion).toBe(3);
    const raw = framework.context.adapter.raw;
    expect(raw.prepare('SELECT name, note FROM items ORDER BY id').raw().all()).toEqual([
      ['valve', 'spare'],
      ['pump', 'old'],
    ]);
    expect(raw.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all()).toEqual([1, 2, 3]);
  });

  it('refuses a last migration without a down, and pending migrations below it, changing nothing', async () => {
    const { db } = setup({ ...FILES, '0003_note.sql': up('ALTER TABLE items ADD COLUMN note TEXT;') });
    await framework.migrationService.migrateTo({ latest: true });
    const before = readFileSync(db);
    expect(await codeOf(planRedo(framework))).toBe('NO_DOWN_MIGRATION');
    expect(readFileSync(db).equals(before)).toBe(true);
    framework.close();

    const { '0002_tags.sql': tags, ...withoutTags } = FILES;
    const gap = setup(withoutTags);
    await framework.migrationService.migrateTo({ latest: true });
    framework.close();
    // 0002 arrives after 0003 was applied: applying 0003 again would apply 0002 too
    writeFileSync(join(gap.dir, 'migrations', 'mvp1', '0002_tags.sql'), tags!);
    framework = createMigrationFramework({ database: gap.db, migrationsPath: join(gap.dir, 'migrations'), backupPath: join(gap.dir, 'backups') });
    const beforeGap = readFileSync(gap.db);
    expect(await codeOf(planRedo(framework))).toBe('REDO_REFUSED');
    expect(readFileSync(gap.db).equals(beforeGap)).toBe(true);
  });

  it('waits for the lock another live process holds, refuses when it is not freed, and redoes once its holder is gone', async () => {
    const { db } = setup();
    await framework.migrationService.migrateTo({ latest: true });
    framework.context.adapter.raw.exec("INSERT INTO items (name, note) VALUES ('valve', 'spare')");
    const other = await startIdleProcess();
    try {
      writeLockRow(framework.context.adapter, other.pid);
      const plan = await planRedo(framework);
      const before = readFileSync(db);
      expect(await codeOf(redoLastMigration({ ...framework, lockTimeout: 300 }, plan))).toBe('LOCK_HELD');
      expect(readFileSync(db).equals(before)).toBe(true);
    } finally {
      await other.kill();
    }
    // the holder died: its row is a dead run's, taken over
    const result = await redoLastMigration({ ...framework, lockTimeout: 300 }, await planRedo(framework));
    expect(result.success).toBe(true);
    const raw = framework.context.adapter.raw;
    expect(raw.prepare('SELECT name, note FROM items').raw().all()).toEqual([['valve', 'spare']]);
    expect(raw.prepare('SELECT count(*) FROM mfmig_lock').pluck().get()).toBe(0);
    expect(raw.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all()).toEqual([1, 2, 3]);
  });
});
