import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, databaseFolder, readBackupManifest, sha256File } from '@mfmig/rollback';
import { isMfmigError } from '@mfmig/core';
import { startIdleProcess, writeLockRow } from '@mfmig/test-support';
import { FIXTURES, databaseState, seededDatabase, tempDir } from './helpers.js';

describe('restore', () => {
  let dir: string;
  let dbPath: string;
  let manager: RollbackManager;

  beforeEach(async () => {
    dir = tempDir();
    dbPath = await seededDatabase(dir, { rows: 200, target: { mvp: 2 } });
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: join(dir, 'backups') });
  });

  afterEach(() => manager.close());

  it('is refused when the backup does not match its checksum, leaving the live file and connection as they were', async () => {
    const backup = await manager.createBackup();
    manager.database.exec("INSERT INTO kb_tags VALUES (2, 'after-backup')");
    const bytes = readFileSync(backup.path);
    bytes.writeUInt8(bytes.readUInt8(4096 + 200) ^ 0x55, 4096 + 200);
    writeFileSync(backup.path, bytes);
    const liveBefore = sha256File(dbPath);
    const connection = manager.database;
    const error = await manager.restoreBackup(backup.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMfmigError(error) && error.code).toBe('BACKUP_INVALID');
    expect(sha256File(dbPath)).toBe(liveBefore);
    expect(manager.database).toBe(connection);
    expect(connection.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'after-backup'").pluck().get()).toBe(1);
  });

  it('is refused while another live process holds the run lock, and goes ahead once that process is gone', async () => {
    const backup = await manager.createBackup();
    manager.database.exec("INSERT INTO kb_tags VALUES (2, 'after-backup')");
    const runner = await startIdleProcess();
    let refused: unknown;
    try {
      writeLockRow(manager.context.adapter, runner.pid);
      const liveBefore = sha256File(dbPath);
      const asideBefore = existsSync(join(dirname(backup.path), 'aside')) ? readdirSync(join(dirname(backup.path), 'aside')) : [];
      refused = await manager.restoreBackup(backup.id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(sha256File(dbPath)).toBe(liveBefore);
      expect(existsSync(join(dirname(backup.path), 'aside')) ? readdirSync(join(dirname(backup.path), 'aside')) : []).toEqual(asideBefore);
    } finally {
      await runner.kill();
    }
    expect(isMfmigError(refused) && refused.code).toBe('LOCK_HELD');
    // the holder is dead: its row no longer stops the restore
    const restored = await manager.restoreBackup(backup.id);
    expect(restored.restoredToVersion).toBe(4);
    expect(manager.database.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'after-backup'").pluck().get()).toBe(0);
  });

  it('replaces the live file atomically, keeps the old one aside and reopens the connection', async () => {
    const backup = await manager.createBackup();
    const atBackup = databaseState(backup.path);
    const run = await (await manager.context.migrator()).migrate({ mvp: 3 });
    expect(run.error).toBeUndefined();
    const old = manager.database;
    const result = await manager.restoreBackup(backup.id);
    expect(result.reopened).toBe(true);
    expect(result.restoredToVersion).toBe(4);
    expect(old.open).toBe(false);
    expect(manager.database.open).toBe(true);
    expect(manager.database.prepare('SELECT max(version) FROM mfmig_history').pluck().get()).toBe(4);
    manager.close();
    const state = databaseState(dbPath);
    expect(state.tables).toEqual(atBackup.tables);
    expect(state.versions).toEqual([1, 2, 3, 4]);
    const aside = readBackupManifest(result.savedAside!.path.replace(/\.db$/, '.json'));
    expect(dirname(aside.path)).toBe(join(databaseFolder(join(dir, 'backups'), manager.identity), 'aside'));
    expect(aside.database).toEqual(manager.identity);
    expect(aside.kind).toBe('saved-aside');
    expect(aside.version).toBe(7);
    expect(sha256File(aside.path)).toBe(aside.sha256);
    expect(readdirSync(dirname(dbPath)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses while another connection holds the WAL open, then restores and keeps WAL mode', async () => {
    manager.database.pragma('journal_mode = WAL');
    const backup = await manager.createBackup();
    const other = new Database(dbPath);
    other.pragma('wal_autocheckpoint = 0');
    other.exec("INSERT INTO kb_tags VALUES (3, 'in-wal')");
    const error = await manager.restoreBackup(backup.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMfmigError(error) && error.code).toBe('RESTORE_FAILED');
    expect(other.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'in-wal'").pluck().get()).toBe(1);
    other.close();
    const result = await manager.restoreBackup(backup.id, { saveAside: false });
    expect(result.savedAside).toBeNull();
    expect(manager.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(manager.database.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'in-wal'").pluck().get()).toBe(0);
    expect(manager.database.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(existsSync(join(databaseFolder(join(dir, 'backups'), manager.identity), 'aside'))).toBe(false);
    expect(existsSync(join(dir, 'backups', 'aside'))).toBe(false);
  });
});
