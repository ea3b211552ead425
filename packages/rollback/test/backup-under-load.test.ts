import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createBackup } from '@mfmig/rollback';
import { openSqlite } from '@mfmig/core';
import { startAppWriter } from '@mfmig/test-support';
import { seededDatabase, tempDir } from './helpers.js';

// The application writes two feedback rows per transaction, every 5 ms, while the backup runs.
// SQLite's paged online backup restarts at every such write and never finished under it.
const PAIR = [
  "INSERT INTO kb_feedback (entry_id, rating, comment, created_at) VALUES (1, 'success', 'pair', 'now')",
  "INSERT INTO kb_feedback (entry_id, rating, comment, created_at) VALUES (2, 'failure', 'pair', 'now')",
];

describe.each(['wal', 'delete'])('a backup while the application writes (%s journal)', (mode) => {
  it('finishes with one consistent snapshot and never locks the application out', async () => {
    const dir = tempDir();
    const dbPath = await seededDatabase(dir, { rows: 3000 });
    const setup = new Database(dbPath);
    setup.pragma(`journal_mode = ${mode}`);
    const before = setup.prepare("SELECT count(*) AS n FROM kb_feedback WHERE comment = 'pair'").get() as { n: number };
    setup.close();
    expect(before.n).toBe(0);

    const app = await startAppWriter({ db: dbPath, sql: PAIR, intervalMs: 5, busyTimeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    const conn = await openSqlite(dbPath);
    // 4 pages per step and a slow progress listener (1 ms a step, a slow terminal): a paged
    // backup of this file takes far longer than the 5 ms between writes, and would restart forever.
    const slowListener = () => {
      const until = performance.now() + 1;
      while (performance.now() < until);
    };
    const started = Date.now();
    const backup = await createBackup(conn, { backupPath: `${dir}/backups`, pagesPerStep: 4, verify: 'quick', onProgress: slowListener });
    const ended = Date.now();
    await conn.close();
    await new Promise((r) => setTimeout(r, 100));
    const report = await app.stop();

    expect(report.failed, JSON.stringify(report.failed.slice(0, 3))).toEqual([]);
    expect(report.writes.filter((w) => w.at > started && w.at < ended).length).toBeGreaterThan(0);
    expect(backup.integrity.verified).toBe(true);
    const copy = new Database(backup.path, { readonly: true });
    const pairs = copy.prepare("SELECT count(*) AS n FROM kb_feedback WHERE comment = 'pair'").get() as { n: number };
    const journal = copy.pragma('journal_mode', { simple: true });
    copy.close();
    // A snapshot between two of the application's transactions: whole pairs only, some of them.
    expect(pairs.n % 2).toBe(0);
    expect(pairs.n).toBeGreaterThan(0);
    expect(pairs.n / 2).toBeLessThan(report.writes.length);
    expect(journal).toBe('delete');
    const live = new Database(dbPath, { readonly: true });
    const all = live.prepare("SELECT count(*) AS n FROM kb_feedback WHERE comment = 'pair'").get() as { n: number };
    live.close();
    expect(all.n).toBe(report.writes.length * 2);
  });
});
