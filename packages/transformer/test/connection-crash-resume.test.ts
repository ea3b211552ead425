// kill -9 in the middle of a continued move of the connection transformer on SQLite (a real child
// process running DialectMigrator through the built packages): each kill leaves the step partial
// and the file sound, and the run that follows resumes from the committed cursor, so that every
// source row ends in the target exactly once.
import { join, resolve } from 'node:path';
import { openDatabase } from '@mfmig/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsWith, runChildKilledAfter, seededMvp1, tempDir } from './helpers.js';

const ROWS = 9_000;
const CHILD = resolve(import.meta.dirname, 'fixtures/connection-crash-child.mjs');
// the built packages, as users get them (the test command builds first)
const CORE_DIST = resolve(import.meta.dirname, '../../core/dist/index.js');
const TRANSFORMER_DIST = resolve(import.meta.dirname, '../dist/index.js');

/** A batched copy without any unique constraint on the target, so a batch moved twice would show as extra rows; then a row function. */
const MIGRATION = `
export const transformations = [
  { id: 'copy_kb', name: 'Copy KB', sourceTable: 'kb_entries', targetTable: 'kb_copy', transformationType: 'convert',
    sql: 'INSERT INTO kb_copy (entry_id, title, category) SELECT id, title, category FROM kb_entries',
    reversible: true, reverse: 'DELETE FROM kb_copy', batch: 'always',
    validationQueries: [{ sql: 'SELECT count(*) FROM kb_copy', expect: 'sourceCount' }] },
  { id: 'title_lengths', name: 'Title lengths', sourceTable: 'kb_entries', targetTable: 'kb_lengths', transformationType: 'convert',
    columns: ['title'], dependencies: ['copy_kb'], transform: (row) => ({ entry_id: row.id, length: row.title.length }),
    reversible: true, reverse: 'DELETE FROM kb_lengths',
    validationQueries: [{ sql: 'SELECT count(*) FROM kb_lengths', expect: 'sourceCount' }] },
];
export async function up(db) {
  await db.schema.createTable('kb_copy').addColumn('rid', 'integer', (c) => c.primaryKey()).addColumn('entry_id', 'integer', (c) => c.notNull())
    .addColumn('title', 'text').addColumn('category', 'text').execute();
  await db.schema.createTable('kb_lengths').addColumn('entry_id', 'integer', (c) => c.notNull()).addColumn('length', 'integer').execute();
}
export async function down(db) {
  await db.schema.dropTable('kb_lengths').execute();
  await db.schema.dropTable('kb_copy').execute();
}
`;

/** Runs the child; SIGKILLs it once it has reported `killAfter` batches of the copy (never when undefined). */
function runChild(db: string, migrations: string, killAfter?: number) {
  return runChildKilledAfter([CHILD, CORE_DIST, TRANSFORMER_DIST, db, migrations], (line) => line.startsWith('progress transform copy_kb'), killAfter);
}

describe('a continued move of the connection transformer on SQLite, killed with SIGKILL', () => {
  let db: string;
  let migrations: string;
  let cleanup: () => void;

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    db = join(dir, 'kb.db');
    (await seededMvp1(db, ROWS)).close();
    migrations = migrationsWith(dir, { '0003_copy_kb.mjs': MIGRATION });
  });
  afterAll(() => cleanup());

  it('stays partial after each kill, with a sound file and committed batches only, and the next run moves every row exactly once', async () => {
    let copied = 0;
    for (const at of [2, 4, 6]) {
      const run = await runChild(db, migrations, at);
      expect(run.signal).toBe('SIGKILL');
      const adapter = openDatabase(db);
      try {
        expect(adapter.value('PRAGMA integrity_check')).toBe('ok');
        expect(adapter.value('SELECT status FROM mfmig_history WHERE version = 3')).toBe('partial');
        // what the cursor says was done is exactly what the target holds: a batch commits with its cursor
        const cursor = adapter.get<{ rows_written: number; status: string }>(
          "SELECT rows_written, status FROM mfmig_transform_cursors WHERE transformation_id = 'copy_kb'",
        )!;
        expect(cursor.status).toBe('running');
        expect(adapter.rowCount('kb_copy')).toBe(Number(cursor.rows_written));
        expect(adapter.rowCount('kb_copy')).toBeGreaterThanOrEqual(copied);
        copied = adapter.rowCount('kb_copy');
        expect(adapter.value('SELECT count(*) FROM (SELECT entry_id FROM kb_copy GROUP BY entry_id HAVING count(*) > 1)')).toBe(0);
      } finally {
        adapter.close();
      }
    }
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(ROWS);

    expect(await runChild(db, migrations)).toMatchObject({ code: 0, signal: null });
    const adapter = openDatabase(db);
    try {
      expect(adapter.value('SELECT status FROM mfmig_history WHERE version = 3')).toBe('applied');
      expect(adapter.rowCount('kb_copy')).toBe(ROWS);
      expect(adapter.value('SELECT count(DISTINCT entry_id) FROM kb_copy')).toBe(ROWS);
      expect(adapter.value('SELECT count(*) FROM kb_copy c JOIN kb_entries e ON e.id = c.entry_id AND e.title = c.title AND e.category = c.category')).toBe(
        ROWS,
      );
      expect(adapter.value('SELECT count(*) FROM kb_lengths l JOIN kb_entries e ON e.id = l.entry_id AND length(e.title) = l.length')).toBe(ROWS);
      expect(adapter.rowCount('mfmig_transform_cursors')).toBe(0);
    } finally {
      adapter.close();
    }
  });
});
