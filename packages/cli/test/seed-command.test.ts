import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { expectedKb } from '@mfmig/test-support';
import { userTableChecksums, withDb } from './harness/db-state.js';
import { copyMvp1, mfmig, sha256File, tempDir } from './helpers.js';

/** Every row of the seeded tables, in key order. */
const seededRows = (file: string) =>
  withDb(file, (db) => ({
    kb_entries: db.prepare('SELECT * FROM kb_entries ORDER BY id').all(),
    kb_tags: db.prepare('SELECT * FROM kb_tags ORDER BY entry_id, tag').all(),
    kb_feedback: db.prepare('SELECT * FROM kb_feedback ORDER BY id').all(),
  }));

describe('mfmig seed on SQLite, written through the async connection', () => {
  it("writes exactly the row generator's rows, and a second seed is refused with the file unchanged", () => {
    const dir = tempDir();
    copyMvp1(dir);
    const file = join(dir, 'knowledge.db');
    expect(mfmig(dir, ['seed', '--rows', '400', '--seed', '7']).code).toBe(0);

    // what the seed's generator gives for these rows and seed, with no writer between
    const { counts, ...expected } = expectedKb({ rows: 400, seed: 7 });
    expect(counts).toMatchObject({ entries: 400, feedback: 100 });
    expect(seededRows(file)).toEqual(expected);
    expect(Object.keys(withDb(file, (db) => userTableChecksums(db, Infinity)))).toEqual(['kb_entries', 'kb_feedback', 'kb_tags']);

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
