import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { describe, expect, it } from 'vitest';
import { mfmigWithin } from './bounded-run.js';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const FILES = {
  'mvp1/0001_create_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
  'mvp2/0002_add_orders.sql': sqlMigration(
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id), qty INTEGER NOT NULL);',
    'DROP TABLE orders;',
  ),
  // no down: rolling back below it needs a full restore of a backup
  'mvp3/0003_add_notes.sql': '-- migrate:up\nALTER TABLE items ADD COLUMN note TEXT;\n',
};

function query(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).raw().all();
  } finally {
    db.close();
  }
}

interface Scene {
  dir: string;
  db: string;
  folder: string;
  good: { id: string; manifestPath: string; createdAt: string };
  outside: string;
}

/** A database at version 3 with a verified backup at version 2, and a version-0 SQLite file outside the backup folder. */
function scene(): Scene {
  const dir = tempDir();
  writeMigrations(dir, FILES);
  const db = join(dir, 'knowledge.db');
  expect(mfmig(dir, ['migrate', '--to', '2']).code).toBe(0);
  const conn = new Database(db);
  conn.exec("INSERT INTO items (name) VALUES ('valve'), ('pump'); INSERT INTO orders (item_id, qty) VALUES (1, 5), (2, 7);");
  conn.close();
  const good = mfmig(dir, ['--json', 'backup', '--label', 'good']).json;
  expect(mfmig(dir, ['migrate']).code).toBe(0);
  const outside = join(dir, 'outside.db');
  const other = new Database(outside);
  other.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO items (name) VALUES ('planted')");
  other.close();
  return { dir, db, folder: dirname(good.path), good, outside };
}

/** A manifest beside the good one, newer than every backup, describing `file` with the given checksum and size. */
function plant(s: Scene, id: string, file: string, sha256: string, sizeBytes: number): string {
  const manifest = JSON.parse(readFileSync(s.good.manifestPath, 'utf8'));
  const path = join(s.folder, `${id}.json`);
  writeFileSync(
    path,
    JSON.stringify(
      { ...manifest, id, file, sha256, sizeBytes, label: null, kind: 'manual', createdAt: new Date(Date.now() + 3_600_000).toISOString() },
      null,
      2,
    ),
  );
  return path;
}

const versionOf = (db: string) => query(db, 'SELECT max(version) FROM mfmig_history')[0];
const itemsOf = (db: string) => query(db, 'SELECT name FROM items ORDER BY id');

describe('backup entries that lie about what they are', () => {
  it('a symlink to a version-0 file outside the folder is never restored by restore, rollback or emergency-rollback data-loss', { timeout: 90_000 }, () => {
    for (const command of ['restore', 'rollback', 'emergency-rollback'] as const) {
      const s = scene();
      symlinkSync(s.outside, join(s.folder, 'planted.db'));
      plant(s, 'planted', 'planted.db', sha256File(s.outside), readFileSync(s.outside).length);
      const outsideBefore = sha256File(s.outside);
      const before = snapshotTree(s.dir);
      const args = {
        restore: ['restore', 'planted'],
        rollback: ['--yes', '--no-dump', 'rollback', '--to', '2'],
        'emergency-rollback': ['--yes', 'emergency-rollback', 'data-loss'],
      }[command];
      const run = mfmigWithin(30_000, s.dir, ['--json', ...args]);
      expect(run.timedOut, command).toBe(false);
      expect(sha256File(s.outside), command).toBe(outsideBefore);
      if (command === 'restore') {
        expect(run.code, `${command}: ${run.stderr}`).toBe(3);
        expect(run.json.error.code).toBe('BACKUP_INVALID');
        expect(snapshotTree(s.dir)).toEqual(before);
      } else {
        // the planted entry is skipped; the real backup at version 2 is what comes back
        expect(run.code, `${command}: ${run.stderr}`).toBe(0);
        expect(versionOf(s.db), command).toEqual([2]);
        expect(itemsOf(s.db), command).toEqual([['valve'], ['pump']]);
        const backups = relativeFolder(s);
        expect(withoutEntries(snapshotTree(s.dir), ['knowledge.db', backups]), command).toEqual(withoutEntries(before, ['knowledge.db', backups]));
        expect(snapshotTree(s.dir)[`${backups}/planted.db`]).toBe(before[`${backups}/planted.db`]);
      }
    }
  });

  it('a FIFO or a symlink to /dev/zero as a backup file is refused by restore and skipped by emergency-rollback, without hanging', { timeout: 90_000 }, () => {
    for (const kind of ['fifo', 'dev-zero'] as const) {
      const s = scene();
      const file = join(s.folder, `${kind}.db`);
      if (kind === 'fifo') expect(spawnSync('mkfifo', [file]).status).toBe(0);
      else symlinkSync('/dev/zero', file);
      plant(s, kind, `${kind}.db`, 'a'.repeat(64), 1 << 30);
      const before = snapshotTree(s.dir);
      const restore = mfmigWithin(15_000, s.dir, ['--json', 'restore', kind]);
      expect(restore.timedOut, kind).toBe(false);
      expect(restore.code, restore.stderr).toBe(3);
      expect(snapshotTree(s.dir)).toEqual(before);
      const emergency = mfmigWithin(15_000, s.dir, ['--json', '--yes', 'emergency-rollback', 'data-loss']);
      expect(emergency.timedOut, kind).toBe(false);
      expect(emergency.code, emergency.stderr).toBe(0);
      expect(emergency.json.backupUsed.id).not.toBe(kind);
      expect(versionOf(s.db)).toEqual([2]);
      const backups = relativeFolder(s);
      expect(withoutEntries(snapshotTree(s.dir), ['knowledge.db', backups])).toEqual(withoutEntries(before, ['knowledge.db', backups]));
    }
  });

  it('a FIFO named *.json does not hang backup --list or health; it is reported as skipped', { timeout: 60_000 }, () => {
    const s = scene();
    expect(spawnSync('mkfifo', [join(s.folder, 'stuck.json')]).status).toBe(0);
    expect(spawnSync('mkfifo', [join(s.dir, 'backups', 'stuck-too.json')]).status).toBe(0);
    const before = snapshotTree(s.dir);
    const list = mfmigWithin(15_000, s.dir, ['--json', 'backup', '--list']);
    expect(list.timedOut).toBe(false);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json.map((b: { id: string }) => b.id)).toContain(s.good.id);
    expect(list.stderr).toMatch(/stuck\.json/);
    const all = mfmigWithin(15_000, s.dir, ['backup', '--list', '--all']);
    expect(all.timedOut).toBe(false);
    expect(all.code, all.stderr).toBe(0);
    const health = mfmigWithin(15_000, s.dir, ['--json', 'health']);
    expect(health.timedOut).toBe(false);
    expect(health.code, health.stderr).toBe(0);
    expect(health.json.checks.backups.count).toBeGreaterThan(0);
    expect(snapshotTree(s.dir)).toEqual(before);
    expect(readdirSync(s.folder)).toContain('stuck.json');
  });
});

function relativeFolder(s: Scene): string {
  return s.folder.slice(s.dir.length + 1);
}
