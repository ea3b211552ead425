import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const FILES = {
  'mvp1/0001_create_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
  'mvp2/0002_add_note.sql': sqlMigration('ALTER TABLE items ADD COLUMN note TEXT;', 'ALTER TABLE items DROP COLUMN note;'),
};

const journalMode = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('journal_mode', { simple: true });
  } finally {
    db.close();
  }
};

describe('journal modes', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = tempDir();
    writeMigrations(dir, FILES);
    db = join(dir, 'knowledge.db');
    expect(mfmig(dir, ['migrate', '--to', '1', '--yes']).code).toBe(0);
  });

  it('never switches a rollback-journal database to WAL unasked, and the plan says what the mode means for writers', () => {
    const plan = mfmig(dir, ['plan', '--json']);
    expect(plan.code).toBe(0);
    expect((plan.json as { writers: { journalMode: string; backupBlocksSeconds: number } }).writers).toMatchObject({ journalMode: 'delete' });
    expect(mfmig(dir, ['migrate', '--yes']).code).toBe(0);
    expect(journalMode(db)).toBe('delete');
  });

  it('switches to WAL with --wal, and the database stays in WAL', () => {
    const run = mfmig(dir, ['migrate', '--wal', '--yes']);
    expect(run.code).toBe(0);
    expect(journalMode(db)).toBe('wal');
    const check = new Database(db, { readonly: true });
    expect(check.prepare('SELECT count(*) FROM mfmig_history').pluck().get()).toBe(2);
    check.close();
    const plan = mfmig(dir, ['plan', '--json']);
    expect((plan.json as { writers: { journalMode: string; backupBlocksSeconds: number } }).writers).toMatchObject({
      journalMode: 'wal',
      backupBlocksSeconds: 0,
    });
  });
});
