import { sqlMigration, tempDir, writeMigrations } from '../helpers.js';

/**
 * A small migration folder for the metrics tests: a table, a module migration that counts the
 * rows it writes (and its down, the rows it deletes), and a SQL step in the next milestone.
 *
 * @example
 * const dir = metricsFolder();
 * mfmig(dir, ['--db', url, 'migrate'], { ENABLE_METRICS: 'true' });
 */
export function metricsFolder(): string {
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;'),
    'mvp1/0002_fill.ts': `export async function up(db, ctx) {
      await db.insertInto('notes').values([{ id: 1, body: 'a' }, { id: 2, body: 'b' }, { id: 3, body: 'c' }]).execute();
      ctx.countRows(3);
    }
    export async function down(db, ctx) {
      const deleted = await db.deleteFrom('notes').executeTakeFirst();
      ctx.countRows(Number(deleted.numDeletedRows));
    }`,
    'mvp2/0003_tags.sql': sqlMigration('CREATE TABLE tags (note_id integer REFERENCES notes (id), tag text);', 'DROP TABLE tags;'),
  });
  return dir;
}
