import { appendFileSync, copyFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, listBackups, readCheckpoint, sha256File } from '@mfmig/rollback';
import { isMfmigError } from '@mfmig/core';
import { copyFixtures, databaseState, seededDatabase, tempDir } from './helpers.js';

describe('checkpoints', () => {
  let dir: string;
  let migrations: string;
  let dbPath: string;
  let manager: RollbackManager;

  beforeEach(async () => {
    dir = tempDir();
    migrations = copyFixtures(dir);
    dbPath = await seededDatabase(dir, { rows: 120, target: { mvp: 2 }, migrationsPath: migrations });
    manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') });
  });

  afterEach(() => manager.close());

  async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    return isMfmigError(error) ? `${error.code}:${String(error.context.reason)}` : String(error);
  }

  it('captures the database and the run position, and resuming finishes the run', async () => {
    const checkpoint = await manager.createCheckpoint('run-42', { target: { mvp: 4 } });
    expect(checkpoint.position).toMatchObject({ currentVersion: 4, currentMvp: 2, targetVersion: 9, pending: [5, 6, 7, 8, 9] });
    expect(checkpoint.migrations.checksums['5']).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(checkpoint.folder, 'database.db'))).toBe(true);
    expect(readCheckpoint(checkpoint.folder).id).toBe(checkpoint.id);
    expect(listBackups(join(dir, 'backups'), { includeCheckpoints: true }).map((b) => b.kind)).toContain('checkpoint');
    const partial = await (await manager.context.migrator()).migrate({ version: 6 });
    expect(partial.error).toBeUndefined();
    const result = await manager.resumeFromCheckpoint(checkpoint.folder);
    expect(result.success).toBe(true);
    expect(result.restored).toBe(false);
    expect(result.fromVersion).toBe(6);
    expect(result.toVersion).toBe(9);
    expect((await manager.context.migrator()).status().currentMvp).toBe(4);
  });

  it('restores the checkpoint copy first when the live database went elsewhere, unless told never to', async () => {
    const checkpoint = await manager.createCheckpoint('run-43', { target: { mvp: 3 } });
    const rolled = await (await manager.context.migrator()).rollback({ version: 2 });
    expect(rolled.error).toBeUndefined();
    expect(await refusal(manager.resumeFromCheckpoint(checkpoint.folder, { restore: 'never' }))).toBe('CHECKPOINT_INVALID:database-diverged');
    const result = await manager.resumeFromCheckpoint(join(checkpoint.folder, 'checkpoint.json'));
    expect(result.restored).toBe(true);
    expect(result.savedAside && existsSync(result.savedAside)).toBe(true);
    expect(result.success).toBe(true);
    expect(result.toVersion).toBe(7);
    expect(manager.database.prepare('SELECT count(*) FROM incidents').pluck().get()).toBeGreaterThan(0);
  });

  it('refuses when the migrations changed since the checkpoint, touching nothing', async () => {
    const checkpoint = await manager.createCheckpoint('run-44', { target: { mvp: 3 } });
    appendFileSync(join(migrations, 'mvp3', '0006_add_code_ref_count.sql'), '\nUPDATE kb_entries SET usage_count = usage_count;\n');
    const other = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    const before = sha256File(dbPath);
    try {
      expect(await refusal(other.resumeFromCheckpoint(checkpoint.folder))).toBe('CHECKPOINT_INVALID:migrations-changed');
    } finally {
      other.close();
    }
    manager.close();
    expect(sha256File(dbPath)).toBe(before);
  });

  it('refuses a checkpoint of another database (a copy of it)', async () => {
    const checkpoint = await manager.createCheckpoint('run-45', { target: { mvp: 3 } });
    manager.close();
    const moved = join(dir, 'moved.db');
    copyFileSync(dbPath, moved);
    const other = new RollbackManager({ database: moved, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    try {
      expect(await refusal(other.resumeFromCheckpoint(checkpoint.folder))).toBe('BACKUP_OTHER_DATABASE:other-database');
      expect(databaseState(moved).versions).toEqual([1, 2, 3, 4]);
    } finally {
      other.close();
    }
  });

  it('resumes the checkpoint of a renamed database', async () => {
    const checkpoint = await manager.createCheckpoint('run-46', { target: { mvp: 3 } });
    manager.close();
    const renamed = join(dir, 'renamed.db');
    renameSync(dbPath, renamed);
    const other = new RollbackManager({ database: renamed, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    try {
      expect(other.listCheckpoints().map((c) => c.id)).toEqual([checkpoint.id]);
      const result = await other.resumeFromCheckpoint(checkpoint.folder);
      expect(result).toMatchObject({ success: true, toVersion: 7, restored: false, savedAside: null });
    } finally {
      other.close();
    }
  });

  it('refuses a folder that holds no checkpoint', async () => {
    expect(await refusal(manager.resumeFromCheckpoint(join(dir, 'nowhere')))).toBe('CHECKPOINT_INVALID:unreadable');
  });
});
