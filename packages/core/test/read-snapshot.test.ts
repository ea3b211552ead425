import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, reconcileCopy, takeReadSnapshot, underReadLock } from '@mfmig/core';
import { removeTempDirs, startAppWriter, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

const snapshotsIn = (dir: string) => readdirSync(dir).filter((n) => n.includes('.mfmig-snapshot-'));

/** A rollback-journal (or WAL) database of `rows` notes, about 1 KB each. */
function notesDatabase(dir: string, mode: 'delete' | 'wal', rows = 2000): string {
  const path = join(dir, 'notes.db');
  const db = new Database(path);
  db.pragma(`journal_mode = ${mode}`);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, pair INTEGER, body TEXT)');
  db.prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO notes (pair, body) SELECT -i, zeroblob(1000) FROM n').run(
    rows,
  );
  db.close();
  return path;
}

describe('takeReadSnapshot', () => {
  it('copies a rollback-journal file once, reads the copy, and deletes it on release', () => {
    const dir = tempDir();
    const path = notesDatabase(dir, 'delete');
    const adapter = openDatabase(path);
    const snapshot = takeReadSnapshot(adapter, { minBytes: 0 });
    expect(snapshot).not.toBeNull();
    expect(snapshot!.path).not.toBe(path);
    expect(snapshot!.adapter.raw.readonly).toBe(true);
    expect(snapshot!.adapter.raw.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(2000);
    // the application's later commits do not reach the snapshot
    adapter.exec("INSERT INTO notes (pair, body) VALUES (0, 'later')");
    expect(snapshot!.adapter.raw.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(2000);
    expect(snapshotsIn(dir)).toHaveLength(1);
    snapshot!.release();
    expect(snapshotsIn(dir)).toEqual([]);
    expect(adapter.raw.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(2001);
    adapter.close();
  });

  it('leaves the live file to be read where that stops no writer or must see its own writes', () => {
    const dir = tempDir();
    const wal = openDatabase(notesDatabase(dir, 'wal'));
    expect(takeReadSnapshot(wal, { minBytes: 0 })).toBeNull();
    wal.close();

    const other = tempDir();
    const path = notesDatabase(other, 'delete');
    const adapter = openDatabase(path);
    expect(takeReadSnapshot(adapter)).toBeNull(); // 2 MB, under the default size
    adapter.raw.exec('BEGIN IMMEDIATE');
    expect(takeReadSnapshot(adapter, { minBytes: 0 })).toBeNull(); // inside a transaction
    adapter.raw.exec('ROLLBACK');
    adapter.close();
    expect(takeReadSnapshot(openDatabase(new Database(':memory:')), { minBytes: 0 })).toBeNull();
    expect(snapshotsIn(dir)).toEqual([]);
    expect(snapshotsIn(other)).toEqual([]);
  });

  it('is one consistent instant while the application commits two rows at a time, and never fails a write', async () => {
    const dir = tempDir();
    const path = notesDatabase(dir, 'delete', 20_000);
    const app = await startAppWriter({
      db: path,
      sql: ["INSERT INTO notes (pair, body) VALUES ($tick, 'a')", "INSERT INTO notes (pair, body) VALUES ($tick, 'b')"],
      params: { tick: '$tick' },
      intervalMs: 2,
      busyTimeoutMs: 5000,
    });
    await new Promise((r) => setTimeout(r, 100));
    const adapter = openDatabase(path);
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const snapshot = takeReadSnapshot(adapter, { minBytes: 0 })!;
      const pairs = snapshot.adapter.raw.prepare("SELECT count(*) FROM notes WHERE body IN ('a', 'b') GROUP BY pair HAVING count(*) <> 2").all();
      expect(pairs).toEqual([]);
      expect(snapshot.adapter.raw.pragma('quick_check', { simple: true })).toBe('ok');
      counts.push(Number(snapshot.adapter.raw.prepare("SELECT count(*) FROM notes WHERE body IN ('a', 'b')").pluck().get()));
      snapshot.release();
      await new Promise((r) => setTimeout(r, 20));
    }
    adapter.close();
    const report = await app.stop();
    expect(report.failed).toEqual([]);
    expect(counts.at(-1)).toBeGreaterThan(counts[0]!);
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('removes the snapshots of a run that was killed, and keeps those of a live one', () => {
    const dir = tempDir();
    const path = notesDatabase(dir, 'delete');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = join(dir, `.notes.db.mfmig-snapshot-${dead.stdout}-0badcafe`);
    const live = join(dir, `.notes.db.mfmig-snapshot-${process.ppid}-0badcafe`);
    writeFileSync(stale, 'left by a killed run');
    writeFileSync(live, 'another run is reading it');
    const adapter = openDatabase(path);
    takeReadSnapshot(adapter, { minBytes: 0 })!.release();
    adapter.close();
    expect(snapshotsIn(dir)).toEqual([`.notes.db.mfmig-snapshot-${process.ppid}-0badcafe`]);
  });
});

describe('underReadLock', () => {
  it('keeps other connections from committing until the work ends, sync or async', async () => {
    const dir = tempDir();
    const path = notesDatabase(dir, 'delete', 10);
    const adapter = openDatabase(path);
    const other = new Database(path, { timeout: 0 });
    const tryWrite = () => {
      try {
        other.prepare("INSERT INTO notes (pair, body) VALUES (0, 'x')").run();
        return 'written';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(underReadLock(adapter, tryWrite)).toBe('SQLITE_BUSY');
    expect(await underReadLock(adapter, async () => tryWrite())).toBe('SQLITE_BUSY');
    expect(adapter.raw.inTransaction).toBe(false);
    expect(tryWrite()).toBe('written');
    await expect(underReadLock(adapter, async () => Promise.reject(new Error('copy failed')))).rejects.toThrow('copy failed');
    expect(adapter.raw.inTransaction).toBe(false);
    other.close();
    adapter.close();
  });
});

describe('reconcileCopy', () => {
  it('makes a stale copy byte for byte the file, writing only the chunks that differ', () => {
    const dir = tempDir();
    const source = join(dir, 'source.bin');
    const target = join(dir, 'target.bin');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 123, 1);
    writeFileSync(source, bytes);
    const stale = Buffer.from(bytes);
    stale[2 * 1024 * 1024 + 5] = 9; // one chunk differs
    writeFileSync(target, Buffer.concat([stale, Buffer.alloc(4096, 2)])); // and it is longer
    expect(reconcileCopy(source, target)).toEqual({ rewrittenBytes: 1024 * 1024 });
    expect(readFileSync(target).equals(bytes)).toBe(true);
    writeFileSync(target, bytes.subarray(0, 1000)); // shorter
    reconcileCopy(source, target);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(reconcileCopy(source, target)).toEqual({ rewrittenBytes: 0 });
  });
});
