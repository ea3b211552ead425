import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { createServiceContext } from '@mfmig/core';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const FILES = {
  'mvp1/0001_create_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
  'mvp2/0002_add_orders.sql': sqlMigration(
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id), qty INTEGER NOT NULL);',
    'DROP TABLE orders;',
  ),
  'mvp3/0003_add_notes.sql': sqlMigration('ALTER TABLE items ADD COLUMN note TEXT;', 'ALTER TABLE items DROP COLUMN note;'),
};

function query(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).raw().all();
  } finally {
    db.close();
  }
}

describe('mfmig backup, restore, checkpoint, resume, rollback, emergency-rollback', () => {
  let dir: string;
  let db: string;

  beforeEach(async () => {
    dir = tempDir();
    const migrations = writeMigrations(dir, FILES);
    db = join(dir, 'knowledge.db');
    const ctx = createServiceContext({ database: db, migrationsPath: migrations }, { create: true });
    const run = await (await ctx.migrator()).migrate({ mvp: 3 });
    expect(run.error).toBeUndefined();
    ctx.adapter.raw.exec(
      "INSERT INTO items (name, note) VALUES ('valve', 'spare'), ('pump', NULL); INSERT INTO orders (item_id, qty) VALUES (1, 5), (2, 7), (1, 1);",
    );
    ctx.close();
  });

  it('backs up, plans and rolls back with data preservation (--yes for a high-risk plan), then restores the backup', () => {
    const backup = mfmig(dir, ['--json', 'backup', '--label', 'nightly']);
    expect(backup.code).toBe(0);
    expect(backup.json).toMatchObject({ version: 3, milestone: 3, kind: 'manual', label: 'nightly', integrity: { verified: true } });
    expect(sha256File(backup.json.path)).toBe(backup.json.sha256);
    const list = mfmig(dir, ['--json', 'backup', '--list']);
    expect(list.json.map((b: { id: string }) => b.id)).toEqual([backup.json.id]);

    const plan = mfmig(dir, ['--json', 'rollback', '--to-mvp', '1', '--plan-only']);
    expect(plan.code).toBe(0);
    expect(plan.json).toMatchObject({ strategy: 'staged', riskLevel: 'high', targetVersion: 1 });
    expect(plan.json.dataAtRisk.map((d: { table: string; rows: number }) => [d.table, d.rows])).toEqual([
      ['items', 2],
      ['orders', 3],
    ]);
    expect(mfmig(dir, ['rollback', '--to-mvp', '1']).code).toBe(3);
    expect(query(db, 'SELECT max(version) FROM mfmig_history')).toEqual([[3]]);
    const done = mfmig(dir, ['--json', '--yes', 'rollback', '--to-mvp', '1']);
    expect(done.code).toBe(0);
    expect(done.json.result.success).toBe(true);
    expect(done.json.result.preserved.map((p: { table: string; rows: number; location: string }) => [p.table, p.rows, p.location])).toEqual([
      ['items', 2, 'mfmig_archive_3_items'],
      ['orders', 3, 'mfmig_archive_2_orders'],
    ]);
    expect(query(db, 'SELECT item_id, qty FROM mfmig_archive_2_orders ORDER BY id')).toEqual([
      [1, 5],
      [2, 7],
      [1, 1],
    ]);
    expect(query(db, 'SELECT max(version) FROM mfmig_history')).toEqual([[1]]);

    const restored = mfmig(dir, ['--json', 'restore', backup.json.id]);
    expect(restored.code).toBe(0);
    expect(restored.json).toMatchObject({ restoredToVersion: 3, reopened: true });
    expect(query(db, 'SELECT count(*) FROM orders')).toEqual([[3]]);
  });

  it('refuses a tampered backup (exit 3), rolls back without preservation, and recovers a corrupted file', () => {
    const backup = mfmig(dir, ['--json', 'backup']).json;
    const tampered = join(dir, 'backups', 'tampered.db');
    const bytes = readFileSync(backup.path);
    bytes[bytes.length - 50] = (bytes[bytes.length - 50] ?? 0) ^ 0xff;
    writeFileSync(tampered, bytes);
    writeFileSync(
      tampered.replace(/\.db$/, '.json'),
      readFileSync(backup.manifestPath, 'utf8')
        .replace(`"file": "${backup.id}.db"`, '"file": "tampered.db"')
        .replace(`"id": "${backup.id}"`, '"id": "tampered"')
        .replace(/"createdAt": "[^"]+"/, '"createdAt": "2999-01-01T00:00:00.000Z"'),
    );
    const before = sha256File(db);
    const refused = mfmig(dir, ['restore', tampered]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/checksum/);
    expect(sha256File(db)).toBe(before);

    const plain = mfmig(dir, ['--json', 'rollback', '--to', '2', '--no-preserve-data']);
    expect(plain.code).toBe(0);
    expect(plain.json.result.preserved).toEqual([]);
    expect(query(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'mfmig_archive_%'")).toEqual([[0]]);

    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    closeSync(fd);
    const result = mfmig(dir, ['--json', 'emergency-rollback', 'corruption'], { EMERGENCY_CONTACTS: 'dba@company.com' });
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      success: true,
      restoredToVersion: 3,
      emergencyContacts: ['dba@company.com'],
      backupUsed: { version: 3, kind: 'pre-rollback' },
    });
    expect(result.json.actionsPerformed.some((a: string) => a.startsWith('skipped backup tampered'))).toBe(true);
    expect(query(db, 'SELECT count(*) FROM orders')).toEqual([[3]]);
    expect(mfmig(dir, ['emergency-rollback', 'meteor']).code).toBe(2);
  });

  it('checkpoints and resumes a run, and refuses a checkpoint of changed migrations', () => {
    expect(mfmig(dir, ['rollback', '--to', '1', '--yes']).code).toBe(0);
    const checkpoint = mfmig(dir, ['--json', 'checkpoint', '--id', 'release-7', '--to-mvp', '3']);
    expect(checkpoint.code).toBe(0);
    expect(checkpoint.json.position).toMatchObject({ currentVersion: 1, targetVersion: 3, pending: [2, 3] });
    expect(mfmig(dir, ['migrate', '--to', '2']).code).toBe(0);
    const resumed = mfmig(dir, ['--json', 'resume', checkpoint.json.folder]);
    expect(resumed.code).toBe(0);
    expect(resumed.json).toMatchObject({ success: true, fromVersion: 2, toVersion: 3, restored: false });
    writeFileSync(join(dir, 'migrations', 'mvp2', '0002_add_orders.sql'), `${FILES['mvp2/0002_add_orders.sql']}\n-- edited\n`);
    const refused = mfmig(dir, ['resume', checkpoint.json.folder]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/migrations changed/);
  });
});
