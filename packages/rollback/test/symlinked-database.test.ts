import { lstatSync, mkdirSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackManager, readBackupManifest, sha256File } from '@mfmig/rollback';
import { FIXTURES, databaseState, seededDatabase, tempDir } from './helpers.js';

/**
 * A deployment layout: the real file in `releases/`, a stable name pointing at it, and an older
 * release beside it that nothing may touch.
 */
async function deployment(link: 'relative' | 'absolute'): Promise<{ dir: string; real: string; stable: string; target: string }> {
  const dir = tempDir();
  mkdirSync(join(dir, 'releases'));
  const built = await seededDatabase(dir, { rows: 120, target: { mvp: 2 } });
  const real = join(dir, 'releases', 'v7.db');
  renameSync(built, real);
  writeFileSync(join(dir, 'releases', 'v6.db'), 'an older release\n');
  const target = link === 'relative' ? 'releases/v7.db' : real;
  const stable = join(dir, 'current.db');
  symlinkSync(target, stable);
  return { dir, real, stable, target };
}

describe('a database named through a symlink', () => {
  let manager: RollbackManager | undefined;
  afterEach(() => {
    manager?.close();
    manager = undefined;
  });

  for (const link of ['relative', 'absolute'] as const) {
    it(`restore (${link} link) replaces the real file, keeps the link, and keeps a real copy of the old file aside`, { timeout: 30_000 }, async () => {
      const { dir, real, stable, target } = await deployment(link);
      manager = new RollbackManager({ database: stable, migrationsPath: FIXTURES, backupPath: join(dir, 'backups') });
      const backup = await manager.createBackup();
      const atBackup = databaseState(backup.path);
      manager.database.exec("INSERT INTO kb_tags VALUES (1, 'after-the-backup')");
      const changed = databaseState(real);
      const before = snapshotTree(dir);

      const result = await manager.restoreBackup(backup.id);

      expect(lstatSync(stable).isSymbolicLink()).toBe(true);
      expect(readlinkSync(stable)).toBe(target);
      expect(lstatSync(real).isFile()).toBe(true);
      expect(result.livePath).toBe(real);
      expect(manager.database.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'after-the-backup'").pluck().get()).toBe(0);
      manager.close();
      expect(databaseState(real).tables).toEqual(atBackup.tables);
      const aside = result.savedAside!.path;
      expect(lstatSync(aside).isFile()).toBe(true);
      expect(databaseState(aside).tables).toEqual(changed.tables);
      expect(sha256File(aside)).toBe(readBackupManifest(aside.replace(/\.db$/, '.json')).sha256);
      // nothing but the real file changed outside the backup folder
      expect(withoutEntries(snapshotTree(dir), ['releases/v7.db', 'backups'])).toEqual(withoutEntries(before, ['releases/v7.db', 'backups']));
    });
  }

  it('emergency data-loss through a relative link restores into the real file', { timeout: 30_000 }, async () => {
    const { dir, real, stable, target } = await deployment('relative');
    manager = new RollbackManager({ database: stable, migrationsPath: FIXTURES, backupPath: join(dir, 'backups'), rollbackSafetyChecks: false });
    const backup = await manager.createBackup();
    const atBackup = databaseState(backup.path);
    manager.close();
    const db = new Database(stable);
    db.exec('DELETE FROM kb_tags');
    db.close();
    const damaged = databaseState(real);
    const before = snapshotTree(dir);
    manager = new RollbackManager({ database: stable, migrationsPath: FIXTURES, backupPath: join(dir, 'backups'), rollbackSafetyChecks: false });
    const result = await manager.executeEmergencyRollback('data-loss');
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    manager.close();
    expect(readlinkSync(stable)).toBe(target);
    expect(databaseState(real).tables).toEqual(atBackup.tables);
    expect(lstatSync(result.savedAside!).isFile()).toBe(true);
    expect(databaseState(result.savedAside!).tables).toEqual(damaged.tables);
    expect(withoutEntries(snapshotTree(dir), ['releases/v7.db', 'backups'])).toEqual(withoutEntries(before, ['releases/v7.db', 'backups']));
  });
});
