import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HistoryStore, type MfmigError, Migrator, loadMigrations, openDatabase, openSqlite } from '@mfmig/core';
import { SchemaEvolution, createSchemaHistoryPlugin, introspectSchema, listSnapshots, loadSnapshot, replaySchema, schemaHash } from '@mfmig/schema-evolution';
import { migrationsFolder, sqlMigration, tempDir } from './helpers.js';

function openFile(): Database.Database {
  return new Database(join(tempDir(), 'kb.db'));
}

describe('schema history plugin', () => {
  it('stores a snapshot per applied version and gives the core its hash', async () => {
    const db = openFile();
    const migrations = await loadMigrations(migrationsFolder({}, { copyMvp1: true }));
    const migrator = new Migrator({ adapter: openDatabase(db), migrations, plugins: [createSchemaHistoryPlugin()] });
    const result = await migrator.migrate({ version: 2 });
    expect(result.error).toBeUndefined();
    const history = new HistoryStore(openDatabase(db)).list();
    expect(history.map((h) => h.version)).toEqual([1, 2]);
    expect(history[1]!.schemaHash).toBe(schemaHash(db));
    const stored = await listSnapshots(db);
    expect(stored.map((s) => [s.version, s.hash])).toEqual(history.map((h) => [h.version, h.schemaHash]));
    expect(await loadSnapshot(db, 2)).toEqual(introspectSchema(db));
    expect((await loadSnapshot(db, 1))!.tables.map((t) => t.name)).toEqual(['kb_entries', 'kb_tags']);
  });

  it('rebuilds every stored version exactly, across delta rows, full lists and several runs', async () => {
    const table = (n: number) => `CREATE TABLE t${n} (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE INDEX i${n} ON t${n} (name)`;
    const steps = [
      table(1),
      table(2),
      "ALTER TABLE t1 ADD COLUMN extra TEXT DEFAULT 'x'",
      table(4),
      'DROP INDEX i2; CREATE VIEW v5 AS SELECT count(*) AS n FROM t1',
      'DROP TABLE t4',
      table(7),
      'CREATE TRIGGER tr8 AFTER INSERT ON t7 BEGIN UPDATE t1 SET extra = new.name; END',
      'ALTER TABLE t2 RENAME TO t2b',
      table(10),
      'DROP VIEW v5; CREATE VIEW v5 AS SELECT name FROM t10',
      'CREATE UNIQUE INDEX u12 ON t10 (lower(name)) WHERE id > 5',
    ];
    const files = Object.fromEntries(steps.map((up, i) => [`${String(i + 1).padStart(4, '0')}_step${i + 1}.sql`, sqlMigration(up, '')]));
    const root = migrationsFolder({ mvp1: files });
    const set = await loadMigrations(root);
    const db = openFile();
    const plugin = createSchemaHistoryPlugin({ keyframeInterval: 3 });
    const migrator = new Migrator({ adapter: openDatabase(db), migrations: set, plugins: [plugin] });
    expect((await migrator.migrate({ version: 7 })).error).toBeUndefined();
    expect((await migrator.migrate()).error).toBeUndefined();
    // each run starts with a full list, then stores deltas until three of them follow a full list
    const full = db.prepare('SELECT base_id IS NULL FROM mfmig_schema_snapshots ORDER BY id').pluck().all();
    expect(full).toEqual([1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1]);
    for (let v = 1; v <= 12; v++) {
      const expected = await replaySchema(
        set,
        set.migrations.filter((m) => m.version <= v),
      );
      const stored = (await loadSnapshot(db, v))!;
      expect(stored.hash).toBe(expected.hash);
      expect(stored).toEqual(expected);
    }
  });

  it('stores nothing for a migration that rolled back, and stays right after it', async () => {
    const root = migrationsFolder({
      mvp1: {
        '0001_parent.sql': sqlMigration('CREATE TABLE parent (id INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1);', 'DROP TABLE parent;'),
        '0002_child.sql': sqlMigration(
          'CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id)); INSERT INTO child VALUES (1, 99);',
          'DROP TABLE child;',
          '-- foreign-keys: off\n',
        ),
      },
    });
    const db = openFile();
    const plugin = createSchemaHistoryPlugin();
    const adapter = openDatabase(db);
    const failing = await new Migrator({ adapter, migrations: await loadMigrations(root), plugins: [plugin] }).migrate();
    expect((failing.error as MfmigError).context.check).toBe('foreign-key-violation');
    expect((await listSnapshots(db)).map((s) => s.version)).toEqual([1]);
    writeFileSync(
      join(root, 'mvp1', '0002_child.sql'),
      sqlMigration('CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));', 'DROP TABLE child;'),
    );
    const fixed = await new Migrator({ adapter, migrations: await loadMigrations(root), plugins: [plugin] }).migrate();
    expect(fixed.error).toBeUndefined();
    expect(await loadSnapshot(db, 2)).toEqual(introspectSchema(db));
    expect(new HistoryStore(adapter).get(2)?.schemaHash).toBe(schemaHash(db));
  });

  it('lists the history through the service, and rolled-back versions keep their snapshot', async () => {
    const root = migrationsFolder({}, { copyMvp1: true });
    const db = openFile();
    const evolution = new SchemaEvolution({ database: db, migrationsPath: root });
    const migrator = await evolution.context.migrator();
    expect((await migrator.migrate()).error).toBeUndefined();
    expect((await evolution.history()).map((h) => [h.version, h.hasSnapshot, h.schemaHash !== null])).toEqual([
      [1, true, true],
      [2, true, true],
    ]);
    expect((await migrator.rollback({ version: 1 })).error).toBeUndefined();
    expect((await evolution.history()).map((h) => h.version)).toEqual([1]);
    expect((await evolution.snapshotAt(2)).views.map((v) => v.name)).toEqual(['kb_entry_stats']);
    expect((await evolution.snapshotAt(1)).hash).toBe((await evolution.snapshot()).hash);
  });

  it('reads each database through its own connection: two files side by side, one handed as a connection, keep their own history and drift', async () => {
    const root = migrationsFolder({}, { copyMvp1: true });
    const first = join(tempDir(), 'first.db');
    openDatabase(first, { create: true }).close();
    const second = await openSqlite(join(tempDir(), 'second.db'), { create: true });
    const a = new SchemaEvolution({ database: first, migrationsPath: root });
    const b = new SchemaEvolution({ database: second, migrationsPath: root });
    expect((await (await a.context.migrator()).migrate({ version: 1 })).error).toBeUndefined();
    expect((await (await b.context.migrator()).migrate()).error).toBeUndefined();
    expect((await a.history()).map((h) => h.version)).toEqual([1]);
    expect((await b.history()).map((h) => [h.version, h.hasSnapshot])).toEqual([
      [1, true],
      [2, true],
    ]);
    // a table made by hand in the first file is drift there, and only there
    await a.context.connection.execute('CREATE TABLE scratch_notes (id INTEGER PRIMARY KEY)');
    expect((await a.detectDrift()).hasDrift).toBe(true);
    expect((await b.detectDrift()).hasDrift).toBe(false);
    expect((await a.snapshot()).tables.map((t) => t.name)).toContain('scratch_notes');
    expect((await b.snapshot()).tables.map((t) => t.name)).not.toContain('scratch_notes');
    a.context.close();
    b.context.close();
    expect(second.adapter.isOpen).toBe(true);
    await second.close();
  });
});
