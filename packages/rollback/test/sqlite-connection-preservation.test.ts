// createConnectionPreservation on SQLite: a team that runs DialectMigrator on a SqliteConnection
// (one participant list for both dialects) keeps what a down drops, as the Migrator's plugin does,
// with the same archive tables, so that either runner puts the rows back. The downs are written as
// other projects write them: a rebuild with a hand-written INSERT ... SELECT that drops a column,
// a module that deletes rows through Kysely, and a DROP TABLE whose rows other tables point at.
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase, sqliteConnectionOf } from '@mfmig/core';
import { createConnectionPreservation, createPreservationPlugin, listArchives } from '@mfmig/rollback';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { createConnectionTransformer, createTransformerPlugin } from '@mfmig/transformer';
import { databaseState, seededDatabase } from './helpers.js';

afterAll(removeTempDirs);

/** The knowledge base's migrations, MVP1 to MVP5. */
const REAL = resolve(import.meta.dirname, '../../../migrations');

const FILES = {
  'mvp1/0001_teams.sql':
    '-- migrate:up\nCREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE TABLE notes (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE, body TEXT);\n-- migrate:down\nDROP TABLE notes;\nDROP TABLE teams;\n',
  // drizzle-style: the down rebuilds the table without the column the up added
  'mvp2/0002_team_color.sql': `-- migrate:up
ALTER TABLE teams ADD COLUMN color TEXT;
-- migrate:down
CREATE TABLE teams_old (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO teams_old (id, name) SELECT id, name FROM teams;
PRAGMA foreign_keys = off;
DROP TABLE teams;
ALTER TABLE teams_old RENAME TO teams;
`,
  // a module whose down deletes the rows its up marked, through Kysely
  'mvp2/0003_pinned.js': `export async function up(db) {
  await db.schema.createTable('pins').addColumn('note_id', 'integer', (c) => c.primaryKey()).execute();
}
export async function down(db) {
  await db.deleteFrom('notes').where('body', 'like', 'pinned%').execute();
  await db.schema.dropTable('pins').execute();
}
`,
};

const preservation = () => [createConnectionPreservation()];
const all = (a: DatabaseAdapter, sql: string) => a.all(sql);

async function atLatestWithRows(): Promise<{ adapter: DatabaseAdapter; conn: SqliteConnection; dir: string }> {
  const dir = tempTree(FILES);
  const adapter = openDatabase(join(tempDir(), 'app.db'), { create: true });
  const conn = new SqliteConnection(adapter);
  const migrations = await loadMigrations(dir);
  expect((await new DialectMigrator({ connection: conn, migrations, participants: preservation() }).migrate()).error).toBeUndefined();
  adapter.exec(`INSERT INTO teams (id, name, color) VALUES (1, 'core', 'red'), (2, 'ops', 'blue');
INSERT INTO notes (id, team_id, body) VALUES (1, 1, 'pinned: deploy'), (2, 1, 'plain'), (3, 2, 'pinned: pager');
INSERT INTO pins VALUES (1), (3);`);
  return { adapter, conn, dir };
}

describe('createConnectionPreservation on a SqliteConnection', () => {
  it('archives what each down drops, deletes or rebuilds away, and a later migrate puts every row back', async () => {
    const { adapter, conn, dir } = await atLatestWithRows();
    const before = {
      teams: all(adapter, 'SELECT * FROM teams ORDER BY id'),
      notes: all(adapter, 'SELECT * FROM notes ORDER BY id'),
      pins: all(adapter, 'SELECT * FROM pins ORDER BY note_id'),
    };
    const migrations = await loadMigrations(dir);

    const down = await new DialectMigrator({ connection: conn, migrations, participants: preservation() }).rollback({ version: 1 });
    expect(down.error).toBeUndefined();
    expect(all(adapter, 'SELECT id, body FROM notes ORDER BY id')).toEqual([{ id: 2, body: 'plain' }]);
    expect(down.reports.filter((r) => r.kind === 'preserved').map((r) => [r.version, r.table, r.lossKind, r.rows])).toEqual([
      [3, 'pins', 'table', 2],
      [3, 'notes', 'rows', 2],
      [2, 'teams', 'columns', 2],
    ]);
    expect((await listArchives(sqliteConnectionOf(adapter), 'archived')).map((a) => [a.version, a.sourceTable, a.rows])).toEqual([
      [3, 'pins', 2],
      [3, 'notes', 2],
      [2, 'teams', 2],
    ]);

    const up = await new DialectMigrator({ connection: conn, migrations, participants: preservation() }).migrate();
    expect(up.error).toBeUndefined();
    expect(up.reports.filter((r) => r.kind === 'restored').map((r) => [r.version, r.table, r.rows])).toEqual([
      [2, 'teams', 2],
      [3, 'pins', 2],
      [3, 'notes', 2],
    ]);
    expect({
      teams: all(adapter, 'SELECT * FROM teams ORDER BY id'),
      notes: all(adapter, 'SELECT * FROM notes ORDER BY id'),
      pins: all(adapter, 'SELECT * FROM pins ORDER BY note_id'),
    }).toEqual(before);
    adapter.close();
  });

  it('keeps the archives the Migrator plugin reads: rows archived by one runner come back through the other', async () => {
    const { adapter, conn, dir } = await atLatestWithRows();
    const migrations = await loadMigrations(dir);
    expect((await new DialectMigrator({ connection: conn, migrations, participants: preservation() }).rollback({ version: 1 })).error).toBeUndefined();
    const migrator = new Migrator({ adapter, migrations, plugins: [createPreservationPlugin()] });
    expect((await migrator.migrate()).error).toBeUndefined();
    expect(all(adapter, 'SELECT id, color FROM teams ORDER BY id')).toEqual([
      { id: 1, color: 'red' },
      { id: 2, color: 'blue' },
    ]);
    expect(all(adapter, 'SELECT count(*) AS n FROM notes')).toEqual([{ n: 3 }]);
    expect(await listArchives(sqliteConnectionOf(adapter), 'archived')).toEqual([]);
    adapter.close();
  });

  it('archives nothing when turned off: what the downs drop is gone', async () => {
    const { adapter, conn, dir } = await atLatestWithRows();
    const migrations = await loadMigrations(dir);
    const participants = [createConnectionPreservation({ enabled: false })];
    const off = await new DialectMigrator({ connection: conn, migrations, participants }).rollback({ version: 1 });
    expect(off.error).toBeUndefined();
    expect(off.reports).toEqual([]);
    expect(await listArchives(sqliteConnectionOf(adapter), 'archived')).toEqual([]);
    expect(all(adapter, 'SELECT count(*) AS n FROM notes')).toEqual([{ n: 1 }]);
    adapter.close();
  });
});

describe('on the real MVP1-MVP5 migrations, DialectMigrator on SQLite with the transformer and preservation', () => {
  it('MVP5 -> MVP2 archives every row the downs drop, and MVP2 -> MVP5 gives every table back as it was', async () => {
    const dir = tempDir();
    const path = await seededDatabase(dir, { rows: 300, target: { mvp: 5 }, migrationsPath: REAL, plugins: [createTransformerPlugin()] });
    const before = databaseState(path);
    const adapter = openDatabase(path);
    try {
      const connection = new SqliteConnection(adapter);
      const migrations = await loadMigrations(REAL);
      const runner = () => new DialectMigrator({ connection, migrations, participants: [createConnectionTransformer(), createConnectionPreservation()] });
      const down = await runner().rollback({ mvp: 2 });
      expect(down.error?.message).toBeUndefined();
      const preserved = down.reports.filter((r) => r.kind === 'preserved');
      expect(preserved.length).toBeGreaterThan(0);
      expect((await listArchives(sqliteConnectionOf(adapter), 'archived')).reduce((n, a) => n + a.rows, 0)).toBe(preserved.reduce((n, r) => n + r.rows, 0));

      const up = await runner().migrate();
      expect(up.error).toBeUndefined();
      expect(await listArchives(sqliteConnectionOf(adapter), 'archived')).toEqual([]);
    } finally {
      adapter.close();
    }
    const after = databaseState(path);
    expect(after.versions).toEqual(before.versions);
    expect(after.tables).toEqual(before.tables);
  });

  it("without preservation, the step guard refuses 0013's down, whose DELETE cascades into rows it never names, and changes nothing", async () => {
    const path = await seededDatabase(tempDir(), { rows: 100, target: { mvp: 4 }, migrationsPath: REAL, plugins: [createTransformerPlugin()] });
    const before = databaseState(path);
    const adapter = openDatabase(path);
    try {
      const connection = new SqliteConnection(adapter);
      const migrations = await loadMigrations(REAL);
      const down = await new DialectMigrator({ connection, migrations, participants: [createConnectionTransformer()] }).rollback({ version: 12 });
      expect(down.error?.message).toMatch(/0013_seed_idz_initial_data .*ON DELETE CASCADE/);
    } finally {
      adapter.close();
    }
    expect(databaseState(path)).toEqual(before);
  });
});
