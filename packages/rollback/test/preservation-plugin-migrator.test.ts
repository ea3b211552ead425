// The preservation plugin under a user's own Migrator: its plan form (`collector`) measures every
// down of a dry-run rollback, a seed's undo that cascades included, and the rollback archives what
// it said; a module down's writes through ctx.raw are archived and come back going up.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { type ProbeResult, createPreservationPlugin } from '@mfmig/rollback';
import { CASCADE_UNDER_REBUILD, V, removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';

afterAll(() => removeTempDirs());

describe('createPreservationPlugin({ collector }) in a dry-run rollback of Migrator', () => {
  it('measures a cascading down under a rebuild that turns foreign keys off, and the rollback archives what it measured', async () => {
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    try {
      const findings = new Map<number, ProbeResult | Error>();
      let collect: ((version: number, finding: ProbeResult | Error) => void) | undefined;
      const migrator = new Migrator({
        adapter,
        migrations: await loadMigrations(tempTree(CASCADE_UNDER_REBUILD)),
        plugins: [createPreservationPlugin({ collector: () => collect })],
      });
      expect((await migrator.migrate()).error).toBeUndefined();
      // the application's own book of the seeded author
      adapter.run('INSERT INTO books (id, author_id) VALUES (3, 1)');
      collect = (version, finding) => findings.set(version, finding);
      const dry = await migrator.rollback({ version: V(1) }, { dryRun: true });
      collect = undefined;
      expect(dry.error).toBeUndefined();
      expect(dry.results.map((r) => [r.version, r.status])).toEqual([
        [V(3), 'Success'],
        [V(2), 'Success'],
      ]);
      const seed = findings.get(V(2)) as ProbeResult;
      expect(seed).not.toBeInstanceOf(Error);
      const measured = Object.fromEntries(seed.losses.map((l) => [l.table, l.rows]));
      expect(measured).toEqual({ authors: 1, books: 3 });
      // nothing of the dry run stayed
      expect([adapter.value('SELECT count(*) FROM books'), migrator.status().currentVersion]).toEqual([3, V(3)]);

      const real = await migrator.rollback({ version: V(1) });
      expect(real.error).toBeUndefined();
      const archived = (real.extras.preserved as { version: number; table: string; rows: number }[]).filter((p) => p.version === V(2));
      expect(Object.fromEntries(archived.map((p) => [p.table, p.rows]))).toEqual(measured);
    } finally {
      adapter.close();
    }
  });
});

describe('createPreservationPlugin in a rollback of Migrator', () => {
  it('archives the rows a module down changes through ctx.raw, and puts them back going up', async () => {
    const files = {
      'mvp1/0001_notes.sql':
        "-- migrate:up\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO notes (id, body) VALUES (1, 'a'), (2, 'b');\n-- migrate:down\nDROP TABLE notes;\n",
      // a module's writes the runner cannot read beforehand: a prepared statement on the raw handle
      'mvp1/0002_shout.ts':
        "export async function up(_db: unknown, ctx: any) { ctx.raw.prepare('UPDATE notes SET body = upper(body)').run(); }\n" +
        'export async function down(_db: unknown, ctx: any) { ctx.raw.prepare("UPDATE notes SET body = \'gone\'").run(); }\n',
    };
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    try {
      const migrator = new Migrator({ adapter, migrations: await loadMigrations(tempTree(files)), plugins: [createPreservationPlugin()] });
      expect((await migrator.migrate()).error).toBeUndefined();
      // the application edits a note after the migration
      adapter.run("UPDATE notes SET body = 'B, edited' WHERE id = 2");
      const down = await migrator.rollback({ version: 1 });
      expect(down.error).toBeUndefined();
      expect(down.extras.preserved).toEqual([expect.objectContaining({ table: 'notes', rows: 2 })]);
      expect(adapter.column('SELECT body FROM notes ORDER BY id')).toEqual(['gone', 'gone']);
      expect((await migrator.migrate()).error).toBeUndefined();
      expect(adapter.column('SELECT body FROM notes ORDER BY id')).toEqual(['A', 'B, edited']);
    } finally {
      adapter.close();
    }
  });
});

describe('createPreservationPlugin in a rollback and migrate of a seed without ids', () => {
  it('puts the seeded rows of a table keyed by its rowid back in place of the ones the seed makes again', async () => {
    const files = {
      'mvp1/0001_labels.sql': '-- migrate:up\nCREATE TABLE labels (name TEXT NOT NULL, colour TEXT);\n-- migrate:down\nDROP TABLE labels;\n',
      'mvp1/0002_seed.sql':
        "-- migrate:up\nINSERT INTO labels (name, colour) VALUES ('bug', 'red'), ('idea', NULL), ('idea', NULL);\n" +
        "-- migrate:down\nDELETE FROM labels WHERE name IN ('bug', 'idea');\n",
    };
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    const labels = () => adapter.all('SELECT rowid AS id, name, colour FROM labels ORDER BY rowid');
    try {
      const migrator = new Migrator({ adapter, migrations: await loadMigrations(tempTree(files)), plugins: [createPreservationPlugin()] });
      expect((await migrator.migrate()).error).toBeUndefined();
      adapter.run("INSERT INTO labels (name) VALUES ('question')");
      const before = labels();
      expect((await migrator.rollback({ version: 1 })).error).toBeUndefined();
      expect(labels()).toEqual([{ id: 4, name: 'question', colour: null }]);
      const up = await migrator.migrate();
      expect(up.error).toBeUndefined();
      expect(up.extras.restored).toEqual([expect.objectContaining({ table: 'labels', rows: 3 })]);
      expect(labels()).toEqual(before);
    } finally {
      adapter.close();
    }
  });
});

describe('createPreservationPlugin puts a large seed without ids back under its archived keys', () => {
  const SEEDED = 1200;
  const filesWith = (trigger: boolean) => ({
    'mvp1/0001_items.sql':
      '-- migrate:up\nCREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, colour TEXT);\n' +
      'CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id) ON DELETE CASCADE, body TEXT);\n' +
      'CREATE TABLE item_moves (n INTEGER PRIMARY KEY, old_id INTEGER, new_id INTEGER);\n' +
      (trigger ? 'CREATE TRIGGER items_moved AFTER UPDATE OF id ON items BEGIN INSERT INTO item_moves (old_id, new_id) VALUES (old.id, new.id); END;\n' : '') +
      '-- migrate:down\nDROP TABLE notes;\nDROP TABLE items;\nDROP TABLE item_moves;\n',
    'mvp1/0002_seed.sql':
      `-- migrate:up\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${SEEDED}) INSERT INTO items (name, colour) SELECT 'item ' || i, 'c' || (i % 7) FROM n;\n` +
      "-- migrate:down\nDELETE FROM items WHERE name LIKE 'item %';\n",
  });

  for (const trigger of [false, true]) {
    it(`moves ${SEEDED} rows the seed made again, and the notes pointing at them, back to the archived keys${trigger ? ' (an update trigger sees each move)' : ''}`, async () => {
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      const state = () => [adapter.all('SELECT * FROM items ORDER BY id'), adapter.all('SELECT * FROM notes ORDER BY id')];
      try {
        const migrator = new Migrator({ adapter, migrations: await loadMigrations(tempTree(filesWith(trigger))), plugins: [createPreservationPlugin()] });
        expect((await migrator.migrate()).error).toBeUndefined();
        // the application's notes on seeded items, and an item of its own with a high key: the seed's next rows get new keys
        adapter.run("INSERT INTO notes (item_id, body) SELECT id, 'note on ' || name FROM items WHERE id % 5 = 0");
        adapter.run("INSERT INTO items (id, name) VALUES (100000, 'own')");
        const before = state();
        expect((await migrator.rollback({ version: 1 })).error).toBeUndefined();
        expect(adapter.value('SELECT count(*) FROM items')).toBe(1);
        const up = await migrator.migrate();
        expect(up.error).toBeUndefined();
        expect(state()).toEqual(before);
        expect(adapter.value('SELECT count(*) FROM item_moves')).toBe(trigger ? SEEDED : 0);
      } finally {
        adapter.close();
      }
    });
  }
});
