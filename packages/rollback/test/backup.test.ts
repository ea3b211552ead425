import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, createBackup, createBackupPlugin, listBackups, ownerOf, pruneBackups, sha256File, verifyBackup } from '@mfmig/rollback';
import { SqliteConnection, createServiceContext, openDatabase, openSqlite } from '@mfmig/core';
import { FIXTURES, seededDatabase, tableDigest, tempDir } from './helpers.js';

describe('backups', () => {
  let dir: string;
  let dbPath: string;
  let backups: string;

  beforeEach(async () => {
    dir = tempDir();
    backups = join(dir, 'backups');
    dbPath = await seededDatabase(dir, { rows: 200, target: { mvp: 2 } });
  });

  it('copies with the online backup API and writes a manifest beside the copy', async () => {
    const manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
    const backup = await manager.createBackup({ label: 'before lunch' });
    manager.close();
    expect(backup.version).toBe(4);
    expect(backup.milestone).toBe(2);
    expect(backup.appliedVersions).toEqual([1, 2, 3, 4]);
    expect(backup.kind).toBe('manual');
    expect(backup.integrity).toMatchObject({ verified: true, checked: true, level: 'full', result: 'ok' });
    expect(backup.sha256).toBe(sha256File(backup.path));
    const manifest = JSON.parse(readFileSync(backup.manifestPath, 'utf8'));
    expect(manifest).toMatchObject({ version: 4, milestone: 2, sha256: backup.sha256, sizeBytes: readFileSync(backup.path).length, label: 'before lunch' });
    expect(typeof manifest.createdAt).toBe('string');
    const copy = new Database(backup.path, { readonly: true });
    const live = new Database(dbPath, { readonly: true });
    expect(tableDigest(copy, 'incidents', ['id'])).toEqual(tableDigest(live, 'incidents', ['id']));
    copy.close();
    live.close();
  });

  it('keeps the registry readable without the database, and honours retention', async () => {
    const conn = await openSqlite(dbPath);
    const verified = await createBackup(conn, { backupPath: backups });
    for (let i = 0; i < 5; i++) await createBackup(conn, { backupPath: backups, verify: false });
    await conn.close();
    expect(listBackups(backups)).toHaveLength(6);
    const removed = pruneBackups(backups, 2, { database: ownerOf(verified) });
    const left = listBackups(backups);
    expect(removed).toHaveLength(3);
    expect(left.map((b) => b.id)).toContain(verified.id);
    expect(left).toHaveLength(3);
    expect(readdirSync(dirname(verified.path)).filter((n) => n.endsWith('.db'))).toHaveLength(3);
  });

  it('applies the backupRetention setting after each backup', async () => {
    const manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups, backupRetention: 2 });
    for (let i = 0; i < 4; i++) await manager.createBackup();
    manager.close();
    expect(listBackups(backups)).toHaveLength(2);
  });

  it('backs up through a read-only connection without writing to the file, and keeps two databases side by side apart', async () => {
    // an application's database mfmig never wrote to: it has no identity of its own yet
    const plain = join(dir, 'orders.db');
    const app = new Database(plain);
    app.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL); INSERT INTO orders (total) VALUES (9.5), (12);');
    app.close();
    const before = sha256File(plain);
    const readOnly = await openSqlite(plain, { mode: 'readonly' });
    const ofPlain = await createBackup(readOnly, { backupPath: backups });
    await readOnly.close();
    expect(sha256File(plain)).toBe(before);
    expect(ofPlain.database?.id).toBeNull();
    expect(ofPlain.integrity.verified).toBe(true);

    const conn = await openSqlite(dbPath);
    const ofKb = await createBackup(conn, { backupPath: backups });
    await conn.close();
    expect(ofKb.database?.id).toEqual(expect.any(String));
    expect(dirname(ofKb.path)).not.toBe(dirname(ofPlain.path));
    expect(listBackups(backups, { database: ownerOf(ofPlain) }).map((b) => b.id)).toEqual([ofPlain.id]);
    expect(listBackups(backups, { database: ownerOf(ofKb) }).map((b) => b.id)).toEqual([ofKb.id]);
    const copy = new Database(ofPlain.path, { readonly: true });
    expect(copy.prepare('SELECT total FROM orders ORDER BY id').pluck().all()).toEqual([9.5, 12]);
    copy.close();
  });

  it('detects a backup whose bytes changed', async () => {
    const conn = await openSqlite(dbPath);
    const backup = await createBackup(conn, { backupPath: backups });
    await conn.close();
    expect((await verifyBackup(backup)).ok).toBe(true);
    const bytes = readFileSync(backup.path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(backup.path, bytes);
    const check = await verifyBackup(backup);
    expect(check.ok).toBe(false);
    expect(check.sha256Matches).toBe(false);
  });

  it('makes a WAL database copy that opens alone, without the lock row of a running migration', async () => {
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.exec(
      "INSERT INTO mfmig_lock (id, owner, pid, host, process_start, acquired_at, heartbeat_at, command) VALUES (1, 'me', 1, 'host', NULL, 'now', 'now', 'migrate'); INSERT INTO kb_tags VALUES (1, 'wal-only');",
    );
    // the application's own handle, its WAL not checkpointed: the copy must still hold the last write
    const backup = await createBackup(new SqliteConnection(openDatabase(db)), { backupPath: backups });
    db.close();
    expect(backup.source.journalMode).toBe('wal');
    expect(backup.integrity.verified).toBe(true);
    const copy = new Database(backup.path, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.prepare('SELECT count(*) FROM mfmig_lock').pluck().get()).toBe(0);
    expect(copy.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'wal-only'").pluck().get()).toBe(1);
    copy.close();
    expect(existsSync(`${backup.path}-wal`)).toBe(false);
    expect(sha256File(backup.path)).toBe(backup.sha256);
  });

  describe('the backup plugin', () => {
    let manager: RollbackManager;
    afterEach(() => manager.close());

    it('backs up before every real run, not before a dry run, and reports it in the run result', async () => {
      manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
      const migrator = await manager.context.migrator();
      const dry = await migrator.migrate({ mvp: 3 }, { dryRun: true });
      expect(dry.error).toBeUndefined();
      expect(listBackups(backups)).toHaveLength(0);
      const run = await migrator.migrate({ mvp: 3 });
      expect(run.error).toBeUndefined();
      const [backup] = listBackups(backups);
      expect(backup?.kind).toBe('pre-run');
      expect(backup?.version).toBe(4);
      expect(backup?.run).toMatchObject({ runId: run.runId, direction: 'up', fromVersion: 4, targetVersion: 7 });
      expect(run.extras.backup).toMatchObject({ id: backup?.id, verified: true });
      const none = await migrator.migrate({ mvp: 3 });
      expect(none.error).toBeUndefined();
      expect(listBackups(backups)).toHaveLength(1);
    });

    it('takes no backup when turned off explicitly', async () => {
      const ctx = createServiceContext({ database: dbPath, migrationsPath: FIXTURES, backupPath: backups });
      manager = new RollbackManager(ctx);
      ctx.plugins.push(createBackupPlugin(manager, { enabled: false }));
      const run = await (await ctx.migrator()).migrate({ mvp: 3 });
      expect(run.error).toBeUndefined();
      expect(listBackups(backups)).toHaveLength(0);
      ctx.close();
    });
  });
});
