import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { seedKnowledgeBase } from '@mfmig/framework';
import { userTableChecksums, withDb } from './harness/db-state.js';
import { copyMvp1, mfmig, sha256File, tempDir } from './helpers.js';

/** Count and digest of every application table of a file. */
const contents = (file: string) => withDb(file, (db) => userTableChecksums(db, Infinity));

describe('mfmig seed on SQLite, written through the async connection', () => {
  it('writes exactly the rows the prepared-statement seed writes, and a second seed is refused with the file unchanged', async () => {
    const dir = tempDir();
    const migrations = copyMvp1(dir);
    const file = join(dir, 'knowledge.db');
    expect(mfmig(dir, ['seed', '--rows', '400', '--seed', '7']).code).toBe(0);

    // the same migrations and seed through the synchronous adapter, the seed's writer before it moved
    const reference = join(tempDir(), 'reference.db');
    const adapter = openDatabase(reference, { create: true });
    try {
      expect((await new Migrator({ adapter, migrations: await loadMigrations(migrations) }).migrate({ mvp: 1 })).error).toBeUndefined();
      seedKnowledgeBase(adapter, { rows: 400, seed: 7 });
    } finally {
      adapter.close();
    }
    const seeded = contents(file);
    expect(seeded.kb_entries).toMatch(/^400:/);
    expect(seeded).toEqual(contents(reference));

    const before = sha256File(file);
    const again = mfmig(dir, ['seed', '--rows', '10']);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(sha256File(file)).toBe(before);
  });

  it('refuses a knowledge base an application made before mfmig (ADOPTION_REQUIRED, exit 3), and leaves the file as it was', () => {
    const dir = tempDir();
    copyMvp1(dir);
    const file = join(dir, 'knowledge.db');
    const db = new Database(file);
    db.exec("CREATE TABLE kb_entries (id INTEGER PRIMARY KEY, title TEXT NOT NULL); INSERT INTO kb_entries (title) VALUES ('kept by the application');");
    db.close();
    const before = sha256File(file);
    const r = mfmig(dir, ['--json', 'seed', '--rows', '50']);
    expect(r.code).toBe(3);
    expect(r.json?.error?.code).toBe('ADOPTION_REQUIRED');
    expect(sha256File(file)).toBe(before);
  });
});
