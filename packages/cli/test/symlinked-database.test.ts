import { lstatSync, mkdirSync, readlinkSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { describe, expect, it } from 'vitest';
import { mfmigWithin } from './bounded-run.js';
import { copyMvp1, mfmig, tempDir } from './helpers.js';

const count = (db: string) => {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT count(*) FROM kb_tags').pluck().get();
  } finally {
    conn.close();
  }
};

describe('mfmig restore with --db naming a symlink', () => {
  it('restores into the file the link points at, keeps the link, and keeps a real copy of the old file aside', { timeout: 60_000 }, () => {
    const dir = tempDir();
    copyMvp1(dir);
    expect(mfmig(dir, ['seed', '--rows', '20']).code).toBe(0);
    mkdirSync(join(dir, 'releases'));
    renameSync(join(dir, 'knowledge.db'), join(dir, 'releases', 'v7.db'));
    symlinkSync('releases/v7.db', join(dir, 'current.db'));
    const backup = mfmigWithin(30_000, dir, ['--json', '--db', 'current.db', 'backup']).json;
    const atBackup = count(join(dir, 'releases', 'v7.db'));
    const conn = new Database(join(dir, 'current.db'));
    conn.exec('DELETE FROM kb_tags');
    conn.close();
    const before = snapshotTree(dir);
    // --no-dump: the tree below must show the restore's own files only, not the schema file
    const restored = mfmigWithin(30_000, dir, ['--json', '--no-dump', '--db', 'current.db', 'restore', backup.id]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(lstatSync(join(dir, 'current.db')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'current.db'))).toBe('releases/v7.db');
    expect(count(join(dir, 'releases', 'v7.db'))).toBe(atBackup);
    const aside = restored.json.savedAside.path;
    expect(lstatSync(aside).isFile()).toBe(true);
    expect(count(aside)).toBe(0);
    expect(withoutEntries(snapshotTree(dir), ['releases/v7.db', 'backups'])).toEqual(withoutEntries(before, ['releases/v7.db', 'backups']));
  });
});
