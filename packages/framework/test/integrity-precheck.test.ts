import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteConnection, openDatabase } from '@mfmig/core';
import { assertDatabaseIntact } from '@mfmig/framework';
import { tempDir } from './helpers.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function setup() {
  const file = join(tempDir(), 'kb.db');
  const adapter = openDatabase(file, { create: true });
  adapter.raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const other = new Database(file);
  closers.push(
    () => other.close(),
    () => adapter.close(),
  );
  const prepare = vi.spyOn(adapter.raw, 'prepare');
  const checks = () => prepare.mock.calls.filter(([sql]) => /quick_check/i.test(String(sql))).length;
  return { adapter, conn: new SqliteConnection(adapter), other, checks };
}

describe('assertDatabaseIntact', () => {
  it('does not read the file again while nothing changed since a passed check', async () => {
    const { conn, checks } = setup();
    await assertDatabaseIntact(conn);
    await assertDatabaseIntact(conn);
    expect(checks()).toBe(1);
  });

  it("checks again after a write or a schema change by its own connection, or a schema change by another, not after an application's commits", async () => {
    const { adapter, conn, other, checks } = setup();
    await assertDatabaseIntact(conn);
    other.prepare('INSERT INTO t (v) VALUES (?)').run('from the application');
    await assertDatabaseIntact(conn);
    expect(checks()).toBe(1);
    adapter.raw.prepare('INSERT INTO t (v) VALUES (?)').run('from here');
    await assertDatabaseIntact(conn);
    expect(checks()).toBe(2);
    adapter.raw.exec('CREATE INDEX t_v ON t (v)');
    await assertDatabaseIntact(conn);
    expect(checks()).toBe(3);
    other.exec('CREATE TABLE elsewhere (id INTEGER PRIMARY KEY)');
    await assertDatabaseIntact(conn);
    expect(checks()).toBe(4);
    await assertDatabaseIntact(conn);
    expect(checks()).toBe(4);
  });
});

describe('assertDatabaseIntact on a large rollback-journal file', () => {
  // snapshotMinBytes 0 makes these small files count as large: the check reads a snapshot
  const snapshotsBeside = (file: string) => readdirSync(dirname(file)).filter((n) => n.includes('.mfmig-snapshot-'));

  it('checks a snapshot, not the live file, and leaves no copy behind', async () => {
    const { adapter, conn, checks } = setup();
    adapter.raw
      .prepare(
        'INSERT INTO t (v) SELECT hex(randomblob(200)) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n)',
      )
      .run();
    await assertDatabaseIntact(conn, { snapshotMinBytes: 0 });
    expect(checks()).toBe(0);
    expect(snapshotsBeside(adapter.filePath)).toEqual([]);
  });

  it('refuses a damaged file as DATABASE_CORRUPT, found on the snapshot, and changes nothing', async () => {
    const { adapter, conn } = setup();
    adapter.raw.exec('CREATE INDEX t_v ON t (v)');
    adapter.raw
      .prepare(
        'INSERT INTO t (v) SELECT hex(randomblob(200)) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i FROM n)',
      )
      .run();
    const leaf = adapter.raw
      .prepare("SELECT pageno FROM dbstat WHERE name = 't' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 5")
      .pluck()
      .get() as number;
    const fd = openSync(adapter.filePath, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (leaf - 1) * 4096);
    closeSync(fd);
    const before = readFileSync(adapter.filePath);
    await expect(assertDatabaseIntact(conn, { snapshotMinBytes: 0 })).rejects.toThrow(expect.objectContaining({ code: 'DATABASE_CORRUPT' }));
    expect(readFileSync(adapter.filePath).equals(before)).toBe(true);
    expect(snapshotsBeside(adapter.filePath)).toEqual([]);
  });
});
