import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmergencyRollbackResult, RollbackManager, checkDatabaseFile, sha256File } from '@mfmig/rollback';
import { FIXTURES, databaseState, seededDatabase, tempDir } from './helpers.js';

/** Overwrites `length` bytes at `offset` with a pattern, as a failing disk or a stray write would. */
function overwrite(path: string, offset: number, length: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
  closeSync(fd);
}

describe('emergency rollback', () => {
  let dir: string;
  let dbPath: string;
  let backups: string;
  let manager: RollbackManager | undefined;
  const env = process.env.EMERGENCY_CONTACTS;

  beforeEach(async () => {
    dir = tempDir();
    backups = join(dir, 'backups');
    dbPath = await seededDatabase(dir, { rows: 400, target: { mvp: 3 } });
    process.env.EMERGENCY_CONTACTS = 'dba@company.com, admin@company.com';
  });

  afterEach(() => {
    manager?.close();
    manager = undefined;
    if (env === undefined) delete process.env.EMERGENCY_CONTACTS;
    else process.env.EMERGENCY_CONTACTS = env;
  });

  async function backupsWithATamperedNewest(): Promise<{ good: string; goodState: ReturnType<typeof databaseState> }> {
    const m = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
    const good = await m.createBackup();
    m.database.exec("INSERT INTO kb_tags VALUES (5, 'after-good-backup')");
    const newer = await m.createBackup();
    m.close();
    const bytes = readFileSync(newer.path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0x01, bytes.length - 100);
    writeFileSync(newer.path, bytes);
    return { good: good.id, goodState: databaseState(good.path) };
  }

  it('recovers a corrupted database (bytes overwritten) from the last verified backup', async () => {
    const { good, goodState } = await backupsWithATamperedNewest();
    overwrite(dbPath, 4096 * 3, 4096 * 4);
    expect(checkDatabaseFile(dbPath).ok).toBe(false);
    const corrupt = sha256File(dbPath);
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
    const result = await manager.executeEmergencyRollback('corruption');
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect(result.backupUsed?.id).toBe(good);
    expect(result.restoredToVersion).toBe(7);
    expect(result.emergencyContacts).toEqual(['dba@company.com', 'admin@company.com']);
    expect(result.actionsPerformed.some((a) => a.startsWith('skipped backup'))).toBe(true);
    expect(result.actionsPerformed.some((a) => a.startsWith('restored backup'))).toBe(true);
    expect(sha256File(result.savedAside!)).toBe(corrupt);
    manager.close();
    const state = databaseState(dbPath);
    expect(state.integrity).toBe('ok');
    expect(state.tables).toEqual(goodState.tables);
    expect(state.versions).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('works from file paths when the database cannot even be opened', async () => {
    const { good } = await backupsWithATamperedNewest();
    overwrite(dbPath, 0, 100);
    writeFileSync(`${dbPath}-journal`, Buffer.alloc(512, 7));
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
    const result = await manager.executeEmergencyRollback('corruption');
    expect(result.success).toBe(true);
    expect(result.backupUsed?.id).toBe(good);
    expect(result.restoredToVersion).toBe(7);
    expect(readFileSync(`${result.savedAside}-journal`)).toEqual(Buffer.alloc(512, 7));
    expect(manager.database.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('refuses to restore over a sound database while safety checks are on', async () => {
    await backupsWithATamperedNewest();
    const before = sha256File(dbPath);
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
    const thrown = await manager.executeEmergencyRollback('corruption').catch((error: unknown) => error);
    expect(thrown).toMatchObject({ code: 'RISK_NOT_ACCEPTED' });
    const result = (thrown as { result: EmergencyRollbackResult }).result;
    expect(result.success).toBe(false);
    expect(result.actionsPerformed[0]).toMatch(/^checked the live database: no corruption found/);
    expect(result.backupUsed).toBeNull();
    expect(result.restoredToVersion).toBe(7);
    manager.close();
    expect(sha256File(dbPath)).toBe(before);
  });

  it('data-loss: keeps the current file aside and restores the newest verified backup', async () => {
    const { good, goodState } = await backupsWithATamperedNewest();
    const db = new Database(dbPath);
    db.exec('DELETE FROM kb_feedback; DELETE FROM kb_tags;');
    db.close();
    const damaged = databaseState(dbPath);
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups, rollbackSafetyChecks: false });
    const result = await manager.executeEmergencyRollback('data-loss');
    expect(result.success).toBe(true);
    expect(result.backupUsed?.id).toBe(good);
    manager.close();
    expect(databaseState(dbPath).tables).toEqual(goodState.tables);
    expect(databaseState(result.savedAside!).tables).toEqual(damaged.tables);
  });

  it('performance: reverts the last run', async () => {
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
    const run = await (await manager.context.migrator()).migrate({ mvp: 5 });
    expect(run.error).toBeUndefined();
    const result = await manager.executeEmergencyRollback('performance');
    expect(result.success).toBe(true);
    expect(result.restoredToVersion).toBe(7);
    expect(result.backupUsed).toBeNull();
  });
});
