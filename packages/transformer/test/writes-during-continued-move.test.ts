// An application that keeps inserting KB entries while KB-to-incidents moves them in batches
// (SQLite's plugin under Migrator, what `mfmig migrate` runs). Entries written above the move's
// end key while the batches ran, and those written after the last batch, must be moved too: the
// migration's own validation says every dated KB entry has exactly one KB incident, so before they
// were, the migration either failed and was taken back out, or (written after the validation had
// run between transactions) was marked applied with entries left unmoved.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, type MigrationPlugin, Migrator, loadMigrations } from '@mfmig/core';
import { removeTempDirs, startAppWriter, tempDir } from '@mfmig/test-support';
import { createTransformerPlugin } from '../src/index.js';
import { MIGRATIONS, seededMvp1 } from './helpers.js';

afterAll(removeTempDirs);

const ENTRY =
  "INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at) VALUES (?, 'p', 's', 'JCL', '2026-01-01 00:00:00', '2026-01-01 00:00:00')";
const transformer = () => createTransformerPlugin({ batchThreshold: 500, sqlBatchSize: 200, pacing: { targetMs: 20, pauseMs: 5 } });

/** Each entry up to the last one moved has exactly one KB incident linked back to it; returns how many. */
function expectEachEntryOnce(db: DatabaseAdapter): number {
  const moved = Number(db.value("SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'"));
  expect(Number(db.value("SELECT count(DISTINCT kb_entry_id) FROM incidents WHERE ticket_id LIKE 'KB-%'"))).toBe(moved);
  expect(Number(db.value('SELECT count(*) FROM incidents i JOIN kb_entries e ON e.id = i.kb_entry_id'))).toBe(moved);
  const last = Number(db.value('SELECT max(kb_entry_id) FROM incidents'));
  expect(Number(db.value(`SELECT count(*) FROM kb_entries WHERE id <= ${last}`))).toBe(moved);
  expect(db.value('SELECT status FROM mfmig_history WHERE version = 5')).toBe('applied');
  expect(db.rowCount('mfmig_transform_cursors')).toBe(0);
  return moved;
}

describe('KB-to-incidents in batches while the application inserts entries (Migrator with the plugin)', () => {
  it('moves the entries written after the last batch in the final transaction, and validates with them', async () => {
    const db = await seededMvp1(join(tempDir(), 'kb.db'), 2000);
    try {
      // after the transformer's batches and its validation between transactions, before the final transaction
      const lateWriter: MigrationPlugin = {
        name: 'late-writer',
        async continueMigration(ctx) {
          if (ctx.migration.version === 5) for (let i = 0; i < 5; i++) db.run(ENTRY, [`late ${i}`]);
        },
      };
      const migrator = new Migrator({ adapter: db, migrations: await loadMigrations(MIGRATIONS), plugins: [transformer(), lateWriter] });
      const result = await migrator.migrate({ mvp: 2 });
      expect(result.error).toBeUndefined();
      expect(expectEachEntryOnce(db)).toBe(2005);
    } finally {
      db.close();
    }
  });

  it('finishes while a real application process inserts an entry every 5 ms, and moves each entry written before its final transaction once', async () => {
    const db = await seededMvp1(join(tempDir(), 'kb.db'), 3000);
    const app = await startAppWriter({
      db: db.filePath,
      sql: ENTRY.replace('?', "'app ' || :tick"),
      params: { tick: '$tick' },
      intervalMs: 5,
      busyTimeoutMs: 5000,
    });
    let stopped = false;
    try {
      const result = await new Migrator({ adapter: db, migrations: await loadMigrations(MIGRATIONS), plugins: [transformer()] }).migrate({ mvp: 2 });
      const report = await app.stop();
      stopped = true;
      expect(result.error).toBeUndefined();
      expect(report.failed).toEqual([]);
      const moved = expectEachEntryOnce(db);
      expect(moved).toBeGreaterThan(3000);
    } finally {
      if (!stopped) await app.stop();
      db.close();
    }
  });
});
