import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMfmigError } from '@mfmig/core';
import { type BackupRecord, RollbackManager, listBackups, scanBackups, sha256File } from '@mfmig/rollback';
import { FIXTURES, databaseState, seededDatabase, tempDir } from './helpers.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isMfmigError(error) ? error.code : String(error);
}

/** A SQLite file with a knowledge-base table and no mfmig history: version 0. */
function versionZeroDatabase(path: string): string {
  const db = new Database(path);
  db.exec("CREATE TABLE kb_entries (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO kb_entries (title) VALUES ('planted')");
  db.close();
  return path;
}

/** Writes a manifest beside the good backup that claims `file`, a minute newer than it, with the given checksum and size. */
function plant(good: BackupRecord, id: string, file: string, overrides: Record<string, unknown> = {}): string {
  const manifest = JSON.parse(readFileSync(good.manifestPath, 'utf8'));
  const createdAt = new Date(Date.parse(good.createdAt) + 60_000).toISOString();
  const path = join(dirname(good.manifestPath), `${id}.json`);
  writeFileSync(path, JSON.stringify({ ...manifest, id, file, createdAt, label: null, ...overrides }, null, 2));
  return path;
}

describe('backup entries that are not what their manifest says', () => {
  let dir: string;
  let backups: string;
  let dbPath: string;
  let manager: RollbackManager | undefined;
  let good: BackupRecord;
  let goodState: ReturnType<typeof databaseState>;

  beforeEach(async () => {
    dir = tempDir();
    backups = join(dir, 'backups');
    dbPath = await seededDatabase(dir, { rows: 80, target: { mvp: 2 } });
    const m = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups, rollbackSafetyChecks: false });
    good = await m.createBackup();
    m.close();
    goodState = databaseState(good.path);
    const db = new Database(dbPath);
    db.exec('DELETE FROM kb_tags');
    db.close();
  });

  afterEach(() => {
    manager?.close();
    manager = undefined;
  });

  const open = () => (manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups, rollbackSafetyChecks: false }));

  it('a symlink pointing outside the backup folder, with a matching checksum and a newer date, is never restored', { timeout: 30_000 }, async () => {
    const outside = versionZeroDatabase(join(dir, 'outside.db'));
    const folder = dirname(good.path);
    symlinkSync(outside, join(folder, 'planted.db'));
    const manifest = plant(good, 'planted', 'planted.db', { sha256: sha256File(outside), sizeBytes: readFileSync(outside).length });
    const before = snapshotTree(dir);
    const m = open();
    expect(m.listBackups().map((b) => b.id)).toEqual([good.id]);
    const scan = scanBackups(backups, { database: m.identity });
    expect(scan.skipped).toEqual([expect.objectContaining({ manifestPath: manifest, id: 'planted', problem: expect.stringMatching(/symbolic link/) })]);
    expect(await codeOf(m.restoreBackup('planted'))).toBe('BACKUP_INVALID');
    expect(await codeOf(m.restoreBackup(manifest))).toBe('BACKUP_INVALID');
    expect(await codeOf(m.restoreBackup(join(folder, 'planted.db')))).toBe('BACKUP_INVALID');
    expect(snapshotTree(dir)).toEqual(before);

    const result = await m.executeEmergencyRollback('data-loss');
    expect(result.error).toBeUndefined();
    expect(result.backupUsed?.id).toBe(good.id);
    expect(result.actionsPerformed.some((a) => a.includes('planted') && /symbolic link/.test(a))).toBe(true);
    m.close();
    expect(databaseState(dbPath).tables).toEqual(goodState.tables);
    const aside = 'backups/' + folder.slice(backups.length + 1) + '/aside';
    expect(withoutEntries(snapshotTree(dir), ['kb.db', aside])).toEqual(withoutEntries(before, ['kb.db']));
  });

  it('a regular file whose history is not the one its manifest claims is refused and skipped', { timeout: 30_000 }, async () => {
    const folder = dirname(good.path);
    const planted = versionZeroDatabase(join(folder, 'forged.db'));
    plant(good, 'forged', 'forged.db', { sha256: sha256File(planted), sizeBytes: readFileSync(planted).length });
    const before = snapshotTree(dir);
    const m = open();
    const error = await m.restoreBackup('forged').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMfmigError(error) && error.code).toBe('BACKUP_INVALID');
    expect((error as Error).message).toMatch(/histor/);
    expect(snapshotTree(dir)).toEqual(before);
    const result = await m.executeEmergencyRollback('data-loss');
    expect(result.backupUsed?.id).toBe(good.id);
    expect(result.actionsPerformed.some((a) => a.startsWith('skipped backup forged'))).toBe(true);
    m.close();
    expect(databaseState(dbPath).tables).toEqual(goodState.tables);
    const aside = 'backups/' + folder.slice(backups.length + 1) + '/aside';
    expect(withoutEntries(snapshotTree(dir), ['kb.db', aside])).toEqual(withoutEntries(before, ['kb.db']));
  });

  it('a manifest whose file is ".." or whose date is not a date is skipped and reported; corruption recovery moves on', { timeout: 30_000 }, async () => {
    plant(good, 'dotdot', '..');
    plant(good, 'bad-date', good.file, { createdAt: '1999-99-99T99:99:99Z' });
    const bytes = readFileSync(dbPath);
    bytes.fill(0xa5, 4096 * 2, 4096 * 4);
    writeFileSync(dbPath, bytes);
    const corrupt = sha256File(dbPath);
    const before = snapshotTree(dir);
    const result = await open().executeEmergencyRollback('corruption');
    expect(result.error).toBeUndefined();
    expect(result.backupUsed?.id).toBe(good.id);
    expect(sha256File(result.savedAside!)).toBe(corrupt);
    const m = manager!;
    const scan = scanBackups(backups, { database: m.identity });
    expect(scan.backups.map((b) => b.id)).toEqual([good.id]);
    expect(scan.skipped.map((s) => s.id).sort()).toEqual(['bad-date', 'dotdot']);
    expect(listBackups(backups).map((b) => b.id)).toEqual([good.id]);
    m.close();
    expect(databaseState(dbPath).tables).toEqual(goodState.tables);
    const aside = 'backups/' + dirname(good.path).slice(backups.length + 1) + '/aside';
    expect(withoutEntries(snapshotTree(dir), ['kb.db', aside])).toEqual(withoutEntries(before, ['kb.db']));
  });
});
