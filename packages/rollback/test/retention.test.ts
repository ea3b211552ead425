import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMfmigError } from '@mfmig/core';
import { RollbackManager, listBackups } from '@mfmig/rollback';
import { FIXTURES, seededDatabase, tempDir } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isMfmigError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('retention', () => {
  let dir: string;
  let backups: string;
  let dbPath: string;
  const open: RollbackManager[] = [];
  const manager = (database = dbPath, extra: { backupRetention?: number } = {}) => {
    const m = new RollbackManager({ database, migrationsPath: FIXTURES, backupPath: backups, ...extra });
    open.push(m);
    return m;
  };

  beforeEach(async () => {
    dir = tempDir();
    backups = join(dir, 'backups');
    dbPath = await seededDatabase(dir, { rows: 60, target: { mvp: 2 } });
  });

  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });

  it('keeps a labelled manual backup after ten newer ones, pre-run backups included, and reports every deletion', { timeout: 60_000 }, async () => {
    const m = manager();
    const labelled = await m.createBackup({ label: 'before-release' });
    const removed: string[] = [];
    const migrator = await m.context.migrator();
    for (const mvp of [3, 4, 5]) {
      const run = await migrator.migrate({ mvp });
      expect(run.error).toBeUndefined();
      const taken = run.extras.backup as { id: string; removedByRetention?: { id: string }[] };
      removed.push(...(taken.removedByRetention ?? []).map((r) => r.id));
    }
    const taken: string[] = [];
    for (let i = 0; i < 9; i++) {
      const backup = await m.createBackup();
      taken.push(backup.id);
      removed.push(...((backup as { removedByRetention?: { id: string }[] }).removedByRetention ?? []).map((r) => r.id));
    }
    const left = m.listBackups();
    expect(left.map((b) => b.id)).toContain(labelled.id);
    expect(existsSync(labelled.path)).toBe(true);
    // ten unlabelled ones are kept, besides the labelled one: 12 taken, 2 removed, and each removal was reported
    expect(left.filter((b) => b.label === null)).toHaveLength(10);
    expect(removed).toHaveLength(2);
    for (const id of removed) expect(left.map((b) => b.id)).not.toContain(id);
    expect(left.map((b) => b.id)).toEqual(expect.arrayContaining(taken));
  });

  it('removes one of its own backups on request, and refuses anything else, changing no file', { timeout: 60_000 }, async () => {
    const m = manager();
    const labelled = await m.createBackup({ label: 'before-release' });
    const other = await seededDatabase(dir, { rows: 20, target: { mvp: 2 }, name: 'other.db' });
    const theirs = await manager(other).createBackup({ label: 'theirs' });
    const checkpoint = await m.createCheckpoint('keep-me');
    writeFileSync(join(dir, 'notes.json'), '{"not":"a backup"}\n');
    const before = snapshotTree(dir);
    expect(codeOf(() => m.removeBackup(theirs.id))).toBe('BACKUP_OTHER_DATABASE');
    expect(codeOf(() => m.removeBackup(theirs.manifestPath))).toBe('BACKUP_OTHER_DATABASE');
    expect(codeOf(() => m.removeBackup(join(checkpoint.folder, 'database.json')))).toBe('BACKUP_INVALID');
    expect(codeOf(() => m.removeBackup(join(dir, 'notes.json')))).toBe('BACKUP_INVALID');
    expect(codeOf(() => m.removeBackup(dbPath))).toBe('BACKUP_INVALID');
    expect(codeOf(() => m.removeBackup('no-such-backup'))).toBe('BACKUP_INVALID');
    expect(snapshotTree(dir)).toEqual(before);

    const removed = m.removeBackup(labelled.id);
    expect(removed).toMatchObject({ id: labelled.id, label: 'before-release' });
    expect(existsSync(labelled.path)).toBe(false);
    expect(existsSync(labelled.manifestPath)).toBe(false);
    const gone = [labelled.path, labelled.manifestPath].map((p) => p.slice(dir.length + 1));
    expect(snapshotTree(dir)).toEqual(withoutEntries(before, gone));
    expect(listBackups(backups).map((b) => b.id)).toEqual([theirs.id]);
  });
});
