import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@mfmig/core';
import { leaveHotJournal, removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

/** A file with `rows` committed notes, then a writer killed in the middle of adding 20,000 more. */
async function stoppedMidWrite(rows: number): Promise<string> {
  const path = join(tempDir(), 'notes.db');
  const db = new Database(path);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO notes (body) SELECT 'note ' || i FROM n").run(rows);
  db.close();
  await leaveHotJournal(path, 'INSERT INTO notes (body) VALUES (hex(randomblob(100)))', 20_000);
  return path;
}

describe('a read-only open of a file a stopped process left mid-write (a hot journal)', () => {
  it('rolls the journal back, as SQLite does before any read, and reads the last committed state', async () => {
    const path = await stoppedMidWrite(300);
    // a plain read-only connection may not roll it back, and so cannot read the file at all
    const plain = new Database(path, { readonly: true });
    try {
      expect(() => plain.pragma('schema_version')).toThrow(expect.objectContaining({ code: 'SQLITE_READONLY_ROLLBACK' }));
    } finally {
      plain.close();
    }
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      expect(adapter.isReadonly).toBe(true);
      expect(adapter.value('SELECT count(*) FROM notes')).toBe(300);
      expect(adapter.checkIntegrity('full', 5)).toEqual([]);
    } finally {
      adapter.close();
    }
    // nothing of the stopped transaction is left to roll back
    expect(!existsSync(`${path}-journal`) || statSync(`${path}-journal`).size === 0).toBe(true);
  });

  it('leaves a file without a hot journal byte for byte as it was', async () => {
    const path = join(tempDir(), 'clean.db');
    const db = new Database(path);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('kept')");
    db.close();
    const before = statSync(path).mtimeMs;
    const adapter = openDatabase(path, { mode: 'readonly' });
    expect(adapter.value('SELECT count(*) FROM notes')).toBe(1);
    adapter.close();
    expect(statSync(path).mtimeMs).toBe(before);
    expect(existsSync(`${path}-journal`)).toBe(false);
  });
});
