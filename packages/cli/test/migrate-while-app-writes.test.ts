// `mfmig migrate` over a knowledge base large enough that KB-to-incidents moves in batches, while
// the application (a real process) keeps inserting KB entries. The migration must finish, no write
// of the application may fail, and every entry written before the final transaction must have its
// KB incident exactly once: the migration's own validation says so.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startAppWriter } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, mfmigAsync, tempDir } from './helpers.js';

const ROWS = 12_000; // above the 10,000 rows from which a transformation moves in batches

describe('mfmig migrate while the application inserts KB entries', () => {
  it('finishes, fails none of its writes, and moves each entry written before the final transaction once', async () => {
    const dir = tempDir();
    const args = ['--migrations', REAL_MIGRATIONS];
    expect(mfmig(dir, [...args, 'seed', '--rows', String(ROWS)]).code).toBe(0);
    const app = await startAppWriter({
      db: join(dir, 'knowledge.db'),
      sql: "INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at) VALUES ('app ' || :tick, 'p', 's', 'JCL', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
      params: { tick: '$tick' },
      intervalMs: 5,
      busyTimeoutMs: 5000,
    });
    let report;
    try {
      const run = await mfmigAsync(dir, [...args, '--json', '--yes', 'migrate', '--to-mvp', '2']).done;
      expect(run.code).toBe(0);
    } finally {
      report = await app.stop();
    }
    expect(report.failed).toEqual([]);
    expect(report.writes.length).toBeGreaterThan(0);

    const db = new Database(join(dir, 'knowledge.db'), { readonly: true });
    try {
      const value = (sql: string) => Number(db.prepare(sql).pluck().get());
      const moved = value("SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'");
      expect(value("SELECT count(DISTINCT kb_entry_id) FROM incidents WHERE ticket_id LIKE 'KB-%'")).toBe(moved);
      expect(value('SELECT count(*) FROM incidents i JOIN kb_entries e ON e.id = i.kb_entry_id')).toBe(moved);
      const last = value('SELECT max(kb_entry_id) FROM incidents');
      expect(value(`SELECT count(*) FROM kb_entries WHERE id <= ${last}`)).toBe(moved);
      expect(moved).toBeGreaterThan(ROWS);
      expect(value("SELECT count(*) FROM mfmig_history WHERE status = 'applied'")).toBe(5);
    } finally {
      db.close();
    }
  });
});
