// A down written in plain SQL whose statements fire a trigger that changes rows of another table:
// the application's rows the trigger changes are archived with the down's own, and come back when
// the migration is applied again.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const SCHEMA = `CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, tag_label TEXT);
CREATE TABLE note_log (id INTEGER PRIMARY KEY, note_id INTEGER, change TEXT);
-- a tag that goes unlinks its notes, and the unlinking is logged
CREATE TRIGGER tags_unlink AFTER DELETE ON tags BEGIN
  UPDATE notes SET tag_label = NULL WHERE tag_label = OLD.label;
END;
CREATE TRIGGER notes_log AFTER UPDATE OF tag_label ON notes BEGIN
  UPDATE note_log SET change = 'untagged ' || OLD.tag_label WHERE note_id = OLD.id;
END;`;

describe('rollback of a down whose statements fire triggers', () => {
  it('archives the rows the triggers change in other tables, and puts them back going up', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.db');
    writeMigrations(dir, {
      'mvp1/0001_schema.sql': sqlMigration(SCHEMA, 'DROP TABLE note_log;\nDROP TABLE notes;\nDROP TABLE tags;'),
      'mvp1/0002_seed_tags.sql': sqlMigration("INSERT INTO tags (id, label) VALUES (1, 'urgent'), (2, 'later');", 'DELETE FROM tags WHERE id IN (1, 2);'),
    });
    const cli = (...args: string[]) => mfmig(dir, ['--db', file, '--no-dump', '--json', '--yes', ...args]);
    expect(cli('migrate').code).toBe(0);
    const db = new Database(file);
    const notes = () => db.prepare('SELECT id, body, tag_label FROM notes ORDER BY id').all();
    const log = () => db.prepare('SELECT note_id, change FROM note_log ORDER BY id').all();
    try {
      db.exec(`INSERT INTO notes (id, body, tag_label) VALUES (1, 'call Bob', 'urgent'), (2, 'file taxes', 'later'), (3, 'misc', NULL);
        INSERT INTO note_log (note_id, change) VALUES (1, 'created'), (2, 'created');`);
      const before = { notes: notes(), log: log() };

      // the plan names what the triggers would change, and changes nothing
      const plan = cli('rollback', '--to', '1', '--plan-only');
      expect(plan.code, plan.stderr).toBe(0);
      const atRisk = (JSON.parse(plan.stdout) as { steps: { dataAtRisk: { table: string; rows: number }[] }[] }).steps.flatMap((s) => s.dataAtRisk);
      expect(Object.fromEntries(atRisk.map((d) => [d.table, d.rows]))).toEqual({ tags: 2, notes: 2, note_log: 2 });
      expect({ notes: notes(), log: log() }).toEqual(before);

      const down = cli('rollback', '--to', '1');
      expect(down.code, down.stderr).toBe(0);
      // the triggers did what they do
      expect(notes().map((n) => (n as { tag_label: string | null }).tag_label)).toEqual([null, null, null]);
      expect(log()).toEqual([
        { note_id: 1, change: 'untagged urgent' },
        { note_id: 2, change: 'untagged later' },
      ]);
      const archived = db.prepare("SELECT source_table, rows FROM mfmig_archives WHERE status = 'archived' ORDER BY source_table").all();
      expect(archived).toEqual([
        { source_table: 'note_log', rows: 2 },
        { source_table: 'notes', rows: 2 },
        { source_table: 'tags', rows: 2 },
      ]);

      const up = cli('migrate');
      expect(up.code, up.stderr).toBe(0);
      expect({ notes: notes(), log: log() }).toEqual(before);
    } finally {
      db.close();
    }
  });
});
