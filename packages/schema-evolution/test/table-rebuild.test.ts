import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DialectMigrator, SqliteConnection, isMfmigError, loadMigrations, openDatabase } from '@mfmig/core';
import { SchemaEvolution, introspectSchema, rebuildTable, rebuildTableInMigration } from '@mfmig/schema-evolution';
import { migrationsFolder, tempDir } from './helpers.js';

const PARENT_SQL = `
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE, note TEXT);
CREATE TABLE grandchild (id INTEGER PRIMARY KEY, child_id INTEGER REFERENCES child (id) ON DELETE CASCADE);
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
CREATE INDEX idx_parent_name ON parent (name);
CREATE UNIQUE INDEX idx_parent_code ON parent (lower(code)) WHERE code IS NOT NULL;
CREATE TRIGGER trg_parent_insert AFTER INSERT ON parent BEGIN INSERT INTO audit (what) VALUES ('insert ' || new.name); END;
CREATE TRIGGER trg_child_delete AFTER DELETE ON child BEGIN INSERT INTO audit (what) VALUES ('child of ' || (SELECT name FROM parent WHERE id = old.parent_id)); END;
CREATE VIEW parent_children AS SELECT p.id, p.name, count(c.id) AS children FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id;
CREATE VIEW busy_parents AS SELECT name FROM parent_children WHERE children > 1;
CREATE TRIGGER trg_view INSTEAD OF INSERT ON busy_parents BEGIN INSERT INTO parent (name) VALUES (new.name); END;
`;

const NEW_PARENT = 'CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, code TEXT, rank INTEGER NOT NULL DEFAULT 0)';

function seeded(): Database.Database {
  const db = new Database(join(tempDir(), 'rebuild.db'));
  db.exec(PARENT_SQL);
  db.transaction(() => {
    for (let p = 1; p <= 20; p++) {
      db.prepare('INSERT INTO parent (id, name, code) VALUES (?, ?, ?)').run(p, `parent ${p}`, p % 2 ? `C${p}` : null);
      for (let c = 0; c < 3; c++) {
        const id = p * 10 + c;
        db.prepare('INSERT INTO child (id, parent_id, note) VALUES (?, ?, ?)').run(id, p, `n${c}`);
        db.prepare('INSERT INTO grandchild (child_id) VALUES (?)').run(id);
      }
    }
  })();
  return db;
}

/** The parent schema, then a module that rebuilds the parent with ctx.rebuildTable (foreign keys off) and back in its down. */
function rebuildParentMigrations(): string {
  return migrationsFolder({
    mvp1: {
      '0001_schema.sql': `-- migrate:up\n${PARENT_SQL}\n-- migrate:down\nSELECT 1;\n`,
      '0002_rebuild_parent.ts': `export const meta = { foreignKeys: 'off' };
export async function up(db, ctx) { ctx.rebuildTable({ table: 'parent', createSql: ${JSON.stringify(NEW_PARENT)} }); }
export async function down(db, ctx) { ctx.rebuildTable({ table: 'parent', createSql: 'CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT)' }); }`,
    },
  });
}

const count = (db: Database.Database, table: string) => Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());

/** The rebuild drizzle-kit and many hand-written migrations do: one transaction, foreign keys on. */
function naiveRebuild(db: Database.Database): void {
  db.transaction(() => {
    db.exec(NEW_PARENT.replace('TABLE parent', 'TABLE parent_new'));
    db.exec('INSERT INTO parent_new (id, name, code) SELECT id, name, code FROM parent');
    db.exec('DROP VIEW busy_parents; DROP VIEW parent_children; DROP TRIGGER trg_child_delete; DROP TABLE parent; ALTER TABLE parent_new RENAME TO parent');
  })();
}

describe('safe table rebuild', () => {
  it('a naive rebuild (one transaction, foreign keys on) loses every child row through ON DELETE CASCADE', () => {
    const db = seeded();
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    naiveRebuild(db);
    expect(count(db, 'parent')).toBe(20);
    expect(count(db, 'child')).toBe(0);
    expect(count(db, 'grandchild')).toBe(0);
  });

  it('rebuildTable keeps child rows, indexes, triggers and views, and restores foreign keys', async () => {
    const db = seeded();
    const auditBefore = count(db, 'audit');
    const result = await rebuildTable(db, { table: 'parent', createSql: NEW_PARENT });
    expect(result).toMatchObject({ table: 'parent', rowsCopied: 20, indexesRecreated: 2, triggersRecreated: 1, viewsRecreated: 2 });
    expect([count(db, 'parent'), count(db, 'child'), count(db, 'grandchild'), count(db, 'audit')]).toEqual([20, 60, 60, auditBefore]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const snapshot = introspectSchema(db);
    expect(snapshot.tables.find((t) => t.name === 'parent')!.columns.map((c) => c.name)).toEqual(['id', 'name', 'code', 'rank']);
    expect(snapshot.indexes.map((i) => i.name)).toEqual(['idx_parent_code', 'idx_parent_name']);
    expect(snapshot.triggers.map((t) => t.name).sort()).toEqual(['trg_child_delete', 'trg_parent_insert', 'trg_view']);
    expect(db.prepare('SELECT children FROM parent_children WHERE id = 3').pluck().get()).toBe(3);
    db.prepare("INSERT INTO parent (name) VALUES ('new one')").run();
    expect(db.prepare('SELECT what FROM audit ORDER BY id DESC LIMIT 1').pluck().get()).toBe('insert new one');
    db.prepare('DELETE FROM parent WHERE id = 1').run();
    expect(count(db, 'child')).toBe(57);
  });

  it('maps columns, keeps rowids of tables without an INTEGER PRIMARY KEY, and skips indexes on dropped columns', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE log (at TEXT, msg TEXT, level TEXT); CREATE INDEX idx_level ON log (level); CREATE INDEX idx_at ON log (at);');
    db.exec("INSERT INTO log VALUES ('a', 'one', 'INFO'), ('b', 'two', 'WARN'), ('c', 'three', 'INFO'); DELETE FROM log WHERE msg = 'one';");
    const rowids = db.prepare('SELECT rowid FROM log ORDER BY rowid').pluck().all();
    const result = await rebuildTable(db, {
      table: 'log',
      createSql: 'CREATE TABLE log (at TEXT NOT NULL, message TEXT)',
      columnMap: { message: "upper(msg) || '!'" },
    });
    expect(result.indexesRecreated).toBe(1);
    expect(db.prepare('SELECT rowid, at, message FROM log ORDER BY rowid').raw().all()).toEqual([
      [rowids[0], 'b', 'TWO!'],
      [rowids[1], 'c', 'THREE!'],
    ]);
  });

  it('rolls everything back when the new table would break a foreign key', async () => {
    const db = seeded();
    const before = introspectSchema(db).hash;
    let error: unknown;
    try {
      await rebuildTable(db, { table: 'parent', createSql: NEW_PARENT, columnMap: { id: 'id + 1000' } });
    } catch (e) {
      error = e;
    }
    expect(isMfmigError(error) && error.code).toBe('MIGRATION_FAILED');
    expect(String((error as Error).message)).toMatch(/foreign key violation/);
    expect(introspectSchema(db).hash).toBe(before);
    expect([count(db, 'parent'), count(db, 'child')]).toEqual([20, 60]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('survives a hostile table name', async () => {
    const db = new Database(':memory:');
    const name = 'x"; DROP TABLE kb_entries; --';
    db.exec(
      `CREATE TABLE kb_entries (id INTEGER PRIMARY KEY); CREATE TABLE "x""; DROP TABLE kb_entries; --" (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO "x""; DROP TABLE kb_entries; --" VALUES (1, 'a')`,
    );
    await rebuildTable(db, { table: name, createSql: `CREATE TABLE "x""; DROP TABLE kb_entries; --" (id INTEGER PRIMARY KEY, v TEXT NOT NULL, w INTEGER)` });
    expect(
      introspectSchema(db)
        .tables.map((t) => t.name)
        .sort(),
    ).toEqual(['kb_entries', name]);
    expect(db.prepare('SELECT v FROM "x""; DROP TABLE kb_entries; --"').pluck().get()).toBe('a');
  });

  it('runs as ctx.rebuildTable inside a migration declared foreignKeys off, through the framework context', async () => {
    const root = rebuildParentMigrations();
    const db = new Database(join(tempDir(), 'kb.db'));
    const evolution = new SchemaEvolution({ database: db, migrationsPath: root });
    const migrator = await evolution.context.migrator();
    expect((await migrator.migrate({ version: 1 })).error).toBeUndefined();
    db.exec(
      "INSERT INTO parent (id, name) VALUES (1, 'p'); INSERT INTO child (id, parent_id) VALUES (1, 1), (2, 1); INSERT INTO grandchild (child_id) VALUES (1);",
    );
    const dry = await migrator.migrate({ version: 2 }, { dryRun: true });
    expect(dry.results[0]!.statements.some((s) => s.startsWith('ALTER TABLE "mfmig_rebuild_parent" RENAME TO "parent"'))).toBe(true);
    const up = await migrator.migrate();
    expect(up.error).toBeUndefined();
    expect([count(db, 'child'), count(db, 'grandchild')]).toEqual([2, 1]);
    expect(
      introspectSchema(db)
        .tables.find((t) => t.name === 'parent')!
        .columns.at(-1)!.name,
    ).toBe('rank');
    expect((await evolution.detectDrift()).hasDrift).toBe(false);
    expect((await migrator.rollback({ version: 1 })).error).toBeUndefined();
    expect([count(db, 'parent'), count(db, 'child')]).toEqual([1, 2]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('runs as ctx.rebuildTable under DialectMigrator on SQLite when given rebuildTableInMigration, and is refused in one line without it', async () => {
    const root = rebuildParentMigrations();
    const adapter = openDatabase(join(tempDir(), 'kb.db'), { create: true });
    try {
      const migrations = await loadMigrations(root);
      const connection = new SqliteConnection(adapter);
      expect((await new DialectMigrator({ connection, migrations }).migrate({ version: 1 })).error).toBeUndefined();
      adapter.exec(
        "INSERT INTO parent (id, name) VALUES (1, 'p'); INSERT INTO child (id, parent_id) VALUES (1, 1), (2, 1); INSERT INTO grandchild (child_id) VALUES (1);",
      );
      const bare = await new DialectMigrator({ connection, migrations }).migrate();
      expect(bare.error).toMatchObject({ code: 'USAGE' });
      expect(adapter.value('SELECT max(version) FROM mfmig_history')).toBe(1);

      const runner = new DialectMigrator({ connection, migrations, rebuildTable: rebuildTableInMigration });
      expect((await runner.migrate()).error).toBeUndefined();
      expect([adapter.rowCount('child'), adapter.rowCount('grandchild')]).toEqual([2, 1]);
      expect(adapter.columnsOf('parent').at(-1)!.name).toBe('rank');
      expect((await runner.rollback({ version: 1 })).error).toBeUndefined();
      expect([adapter.rowCount('parent'), adapter.rowCount('child'), adapter.rowCount('grandchild')]).toEqual([1, 2, 1]);
      expect(adapter.columnsOf('parent').map((c) => c.name)).toEqual(['id', 'name', 'code']);
      expect(adapter.value('PRAGMA foreign_keys')).toBe(1);
    } finally {
      adapter.close();
    }
  });
});
