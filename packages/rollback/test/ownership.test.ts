import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, databaseFolder, listArchives, sha256File } from '@mfmig/rollback';
import { isMfmigError, openDatabase, sqliteConnectionOf } from '@mfmig/core';
import { FIXTURES, seededDatabase, tempDir } from './helpers.js';

const entries = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM kb_entries').pluck().get();
  } finally {
    db.close();
  }
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isMfmigError(error) ? error.code : String(error);
}

describe('backups belong to one database', () => {
  let dir: string;
  let backups: string;
  let a: string;
  let b: string;
  const open: RollbackManager[] = [];
  const manager = (database: string, extra: { backupRetention?: number } = {}) => {
    const m = new RollbackManager({ database, migrationsPath: FIXTURES, backupPath: backups, ...extra });
    open.push(m);
    return m;
  };

  beforeEach(async () => {
    dir = tempDir();
    backups = join(dir, 'backups');
    a = await seededDatabase(dir, { rows: 90, target: { mvp: 2 }, name: 'a.db' });
    b = await seededDatabase(dir, { rows: 40, target: { mvp: 2 }, name: 'b.db' });
  });

  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });

  it('keeps each database in its own folder, lists and restores only its own backups', async () => {
    const ma = manager(a);
    const mb = manager(b);
    expect(ma.identity.id).toBeNull();
    const backupA = await ma.createBackup();
    const backupB = await mb.createBackup();
    expect(ma.identity.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(backupA.database).toEqual(ma.identity);
    expect(dirname(backupA.path)).toBe(databaseFolder(backups, ma.identity));
    expect(dirname(backupA.path)).not.toBe(dirname(backupB.path));
    expect(ma.listBackups().map((x) => x.id)).toEqual([backupA.id]);
    expect(mb.listBackups().map((x) => x.id)).toEqual([backupB.id]);
    expect(ma.listBackups({ allDatabases: true })).toHaveLength(2);

    const before = sha256File(b);
    expect(await codeOf(mb.restoreBackup(backupA.id))).toBe('BACKUP_OTHER_DATABASE');
    expect(await codeOf(mb.restoreBackup(backupA.path))).toBe('BACKUP_OTHER_DATABASE');
    mb.close();
    expect(sha256File(b)).toBe(before);

    const idB = mb.identity.id;
    const restored = await mb.restoreBackup(backupA.id, { allowOtherDatabase: true });
    expect(entries(b)).toBe(90);
    // b.db holds a.db's rows on purpose now, but stays b.db: same id, same backups
    expect(mb.identity.id).toBe(idB);
    expect(mb.listBackups().map((x) => x.id)).toEqual([backupB.id]);
    expect(restored.savedAside!.path.startsWith(join(databaseFolder(backups, mb.identity), 'aside'))).toBe(true);
    expect(sha256File(restored.savedAside!.path)).toBe(before);
    expect(ma.identity.id).not.toBe(idB);
  });

  it("prunes only the database's own backups", async () => {
    const mb = manager(b);
    const kept = [await mb.createBackup(), await mb.createBackup()];
    const ma = manager(a, { backupRetention: 2 });
    for (let i = 0; i < 5; i++) await ma.createBackup({ verify: false });
    expect(ma.listBackups()).toHaveLength(2);
    expect(mb.listBackups().map((x) => x.id)).toEqual(kept.map((x) => x.id));
    for (const x of kept) expect(existsSync(x.path)).toBe(true);
  });

  it('finds older flat backups without an owner by their source path', async () => {
    const ma = manager(a);
    const mb = manager(b);
    const backup = await ma.createBackup();
    const manifest = JSON.parse(readFileSync(backup.manifestPath, 'utf8'));
    delete manifest.database;
    writeFileSync(join(backups, `legacy.json`), JSON.stringify({ ...manifest, id: 'legacy', file: 'legacy.db' }));
    copyFileSync(backup.path, join(backups, 'legacy.db'));
    expect(
      ma
        .listBackups()
        .map((x) => x.id)
        .sort(),
    ).toEqual([backup.id, 'legacy'].sort());
    expect(mb.listBackups()).toEqual([]);
    expect(await codeOf(mb.restoreBackup('legacy'))).toBe('BACKUP_OTHER_DATABASE');
  });

  it('a renamed database keeps its backups; a copy has none until told', async () => {
    const ma = manager(a);
    const backup = await ma.createBackup();
    ma.close();
    const copy = join(dir, 'copy.db');
    copyFileSync(a, copy);
    const mc = manager(copy);
    expect(mc.identity.id).toBeNull();
    expect(mc.listBackups()).toEqual([]);
    expect(await codeOf(mc.restoreBackup(backup.id))).toBe('BACKUP_OTHER_DATABASE');
    mc.close();

    const renamed = join(dir, 'renamed.db');
    renameSync(a, renamed);
    const mr = manager(renamed);
    expect(mr.identity.id).toBe(backup.database!.id);
    expect(mr.listBackups().map((x) => x.id)).toEqual([backup.id]);
    const restored = await mr.restoreBackup(backup.id);
    expect(restored.restoredToVersion).toBe(4);
    expect(restored.backup.id).toBe(backup.id);
  });

  it('works on a plain database handed over as a handle, which gets its id with its first backup', async () => {
    const handle = new Database(b);
    const plain = new RollbackManager({ database: handle, migrationsPath: FIXTURES, backupPath: backups });
    open.push(plain);
    expect(plain.identity).toEqual({ id: null, path: b });
    const backup = await plain.createBackup();
    expect(backup.database?.id).toBe(plain.identity.id);
    expect(plain.listBackups().map((x) => x.id)).toEqual([backup.id]);
  });
});

describe('archives belong to one database', () => {
  it('records the id, and never puts back rows archived in another database', async () => {
    const dir = tempDir();
    const path = await seededDatabase(dir, { rows: 60, target: { mvp: 3 } });
    const db = new Database(path);
    db.exec("INSERT INTO code_copybooks (name, lines) VALUES ('CPYACCT', 120); INSERT INTO code_scan_log (program, message) VALUES ('PGM1', 'S0C7');");
    db.close();
    const manager = new RollbackManager({ database: path, migrationsPath: FIXTURES, backupPath: join(dir, 'backups') });
    try {
      const rolled = await manager.rollbackToMvp(2);
      expect(rolled.success).toBe(true);
      const id = manager.identity.id;
      const adapter = openDatabase(manager.database);
      const archives = await listArchives(sqliteConnectionOf(adapter));
      expect(archives.length).toBeGreaterThan(1);
      expect(archives.every((x) => x.databaseId === id)).toBe(true);
      const foreign = archives.find((x) => x.sourceTable === 'code_copybooks')!;
      manager.database.prepare('UPDATE mfmig_archives SET database_id = ? WHERE id = ?').run('another-database', foreign.id);
      const up = await (await manager.context.migrator()).migrate({ mvp: 3 });
      expect(up.error).toBeUndefined();
      const after = await listArchives(sqliteConnectionOf(manager.database));
      expect(after.find((x) => x.id === foreign.id)?.status).toBe('archived');
      expect(after.filter((x) => x.id !== foreign.id).every((x) => x.status === 'restored')).toBe(true);
      expect(manager.database.prepare('SELECT count(*) FROM code_copybooks').pluck().get()).toBe(0);
      expect(manager.database.prepare('SELECT count(*) FROM code_scan_log').pluck().get()).toBe(1);
    } finally {
      manager.close();
    }
  });
});
