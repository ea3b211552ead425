import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { RollbackManager } from '@mfmig/rollback';
import { tempDir } from './helpers.js';

function plainDatabase(dir: string): string {
  const file = join(dir, 'app.db');
  const db = new Database(file);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
  db.prepare('INSERT INTO notes (body) VALUES (?)').run('kept');
  db.close();
  return file;
}

describe('the migrations folder of a RollbackManager', () => {
  it('not named and absent: a backup records milestone 0 and restores', async () => {
    const dir = tempDir();
    const manager = new RollbackManager({ database: plainDatabase(dir), backupPath: join(dir, 'backups') });
    try {
      const backup = await manager.createBackup();
      expect(backup).toMatchObject({ version: 0, milestone: 0, integrity: { verified: true } });
      expect((await manager.verifyBackup(backup.id)).ok).toBe(true);
      manager.database.exec('DELETE FROM notes');
      await manager.restoreBackup(backup.id);
      expect(manager.database.prepare('SELECT body FROM notes').pluck().all()).toEqual(['kept']);
    } finally {
      manager.close();
    }
  });

  it('named and missing: a backup fails with MIGRATIONS_NOT_FOUND and writes nothing', async () => {
    const dir = tempDir();
    const manager = new RollbackManager({ database: plainDatabase(dir), migrationsPath: join(dir, 'nope'), backupPath: join(dir, 'backups') });
    try {
      await expect(manager.createBackup()).rejects.toMatchObject({ code: 'MIGRATIONS_NOT_FOUND' });
      expect(manager.listBackups()).toEqual([]);
    } finally {
      manager.close();
    }
  });
});
