// The PostgreSQL framework's rollback manager before a rollback and when downs cannot do it:
// validateRollbackCapability, restoreBackup (and the planner's upgrade path). Every test runs
// against the live server, in a scratch database of its own, and asserts on the rows.
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, tempDir } from './helpers.js';
import { codeOf, framework, rows, sqlFolder } from './postgres-framework-helpers.js';

afterAll(dropScratchDatabases);

/** Version 1 makes `notes` (with a down); version 2 adds `labels` and has no down, as many projects' migrations do not. */
function notesWithoutDown(dir: string): string {
  return sqlFolder(dir, {
    'mvp1/0001_notes.sql': { up: 'CREATE TABLE notes (id integer PRIMARY KEY, title text NOT NULL);', down: 'DROP TABLE notes;' },
    'mvp2/0002_labels.sql': { up: 'CREATE TABLE labels (id integer PRIMARY KEY, note_id integer REFERENCES notes(id), name text);' },
  });
}

const contents = async (url: string) => ({
  notes: await rows(url, 'SELECT * FROM app.notes ORDER BY id'),
  labels: await rows(url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'app' AND tablename = 'labels'"),
  history: await rows(url, 'SELECT version::int AS version FROM app.mfmig_history ORDER BY version'),
});

describe('createPostgresFramework: rollback capability and backup restore', () => {
  it('says a rollback to MVP1 runs by downs, and refuses a target above the schema', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb', REAL_MIGRATIONS, tempDir());
    try {
      await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });
      const path = await fw.planner.analyzeMVPUpgradePath(4);
      expect(path).toEqual(await fw.migrationService.analyzeMVPUpgradePath(4));
      const status = await fw.migrationService.status();
      const mvp1 = status.applied.filter((a) => a.mvp === 1).at(-1)!.version;

      const capability = await fw.rollbackManager.validateRollbackCapability({ mvp: 1 });
      expect(capability).toMatchObject({
        canRollback: true,
        method: 'down-migrations',
        currentVersion: status.currentVersion,
        targetVersion: mvp1,
        blockers: [],
      });
      expect(capability.warnings.some((w) => w.startsWith('No backup'))).toBe(true);

      const above = await fw.rollbackManager.validateRollbackCapability({ mvp: 5 });
      expect(above).toMatchObject({ canRollback: false, method: 'none' });
      expect(above.blockers.join('\n')).toMatch(/above the current version/);
      expect(await codeOf(() => fw.rollbackManager.validateRollbackCapability(999))).toBe('TARGET_UNKNOWN');
      expect((await fw.migrationService.status()).applied).toEqual(status.applied);
    } finally {
      await fw.close();
    }
  });

  it('falls back on the backup at the target when a down is missing, restores it, and the schema kept aside brings everything back', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const fw = framework(url, 'app', notesWithoutDown(dir), dir);
    try {
      await fw.migrationService.migrateTo({ version: 1 });
      await withClient(url, (c) => c.query("INSERT INTO app.notes VALUES (1, 'kept'), (2, 'also kept')"));
      const backup = await fw.rollbackManager.createBackup({ label: 'at version 1' });
      await fw.migrationService.migrateTo({ latest: true });
      await withClient(url, (c) => c.query("INSERT INTO app.notes VALUES (3, 'written after the backup'); INSERT INTO app.labels VALUES (1, 3, 'late')"));
      const before = await contents(url);

      const capability = await fw.rollbackManager.validateRollbackCapability(1);
      expect(capability).toMatchObject({ canRollback: true, method: 'full-restore', targetVersion: 1 });
      expect(capability.missingDownMigrations.map((m) => m.version)).toEqual([2]);
      expect(capability.fullRestoreBackup?.id).toBe(backup.id);
      expect(capability.warnings.join('\n')).toContain(backup.id);

      // bad input first: nothing changes
      expect(await codeOf(() => fw.rollbackManager.restoreBackup('no-such-backup'))).toBe('BACKUP_INVALID');
      expect(await contents(url)).toEqual(before);

      const restored = await fw.rollbackManager.restoreBackup(capability.fullRestoreBackup!);
      expect(restored.restoredToVersion).toBe(1);
      expect(await contents(url)).toEqual({ notes: before.notes.slice(0, 2), labels: [{ n: 0 }], history: [{ version: 1 }] });
      expect((await fw.rollbackManager.listBackups()).some((b) => b.id === restored.savedAside?.id && b.savedAside === 'pre-restore')).toBe(true);

      // the schema kept aside is the way back: the rows written after the backup were not lost
      await fw.rollbackManager.restoreBackup(restored.savedAside!.id, { saveAside: false });
      expect(await contents(url)).toEqual(before);
    } finally {
      await fw.close();
    }
  });
});
