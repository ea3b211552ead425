import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase, openSqlite } from '@mfmig/core';
import { SCHEMA_DUMP_MARKER, dumpSchema, layoutSql, schemaHash } from '@mfmig/schema-evolution';
import { migrationsFolder, sqlMigration, tempDir } from './helpers.js';

const FILES = {
  mvp1: {
    '0001_items.sql': sqlMigration(
      `CREATE TABLE Items (id INTEGER PRIMARY KEY AUTOINCREMENT,   -- the key
        "name" TEXT NOT NULL CHECK (length("name") > 0), qty INTEGER DEFAULT -1);
       CREATE INDEX items_by_name ON Items ("name") WHERE qty > 0;`,
      'DROP TABLE Items;',
    ),
    '0002_views.sql': sqlMigration(
      `CREATE VIEW stocked AS SELECT name FROM items WHERE qty > 0;
       CREATE VIRTUAL TABLE docs USING fts5(title, body);
       CREATE TRIGGER items_audit AFTER UPDATE ON items BEGIN UPDATE items SET qty = 0 WHERE id = new.id AND qty IS NULL; SELECT 'a;b'; END;`,
      'DROP TRIGGER items_audit; DROP TABLE docs; DROP VIEW stocked;',
    ),
    '0003_tags.sql': sqlMigration('CREATE TABLE "Order" ("key" TEXT PRIMARY KEY, item INTEGER REFERENCES items(id)) WITHOUT ROWID;', 'DROP TABLE "Order";'),
  },
};

async function migrated(migrations: string, steps: ({ version: number } | { latest: true })[]): Promise<{ path: string; dump: string }> {
  const path = join(tempDir(), 'kb.db');
  const adapter = openDatabase(path, { create: true });
  try {
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(migrations) });
    for (const target of steps) expect((await migrator.migrate(target)).error).toBeUndefined();
    return { path, dump: await dumpSchema(adapter, migrator.status().applied) };
  } finally {
    adapter.close();
  }
}

describe('dumpSchema', () => {
  const migrations = migrationsFolder(FILES);

  it('writes the same bytes after one run and after a run to version 1 then up, and leaves mfmig and SQLite objects out', async () => {
    const once = await migrated(migrations, [{ latest: true }]);
    const twice = await migrated(migrations, [{ version: 1 }, { latest: true }]);
    expect(twice.dump).toBe(once.dump);
    expect(once.dump.startsWith(SCHEMA_DUMP_MARKER)).toBe(true);
    expect(once.dump).not.toMatch(/mfmig_|sqlite_sequence|docs_data|docs_idx/);
    const objects = [...once.dump.matchAll(/^CREATE (?:VIRTUAL )?(\w+) (?:IF NOT EXISTS )?("[^"]+"|\w+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(objects).toEqual(['TABLE docs', 'TABLE Items', 'TABLE "Order"', 'INDEX items_by_name', 'VIEW stocked', 'TRIGGER items_audit']);
    expect(once.dump.trimEnd().split('\n').slice(-3)).toEqual(['-- 0001_items', '-- 0002_views', '-- 0003_tags']);
  });

  it('makes the same schema when the sqlite3 shell loads it into a new database', async () => {
    const { path, dump } = await migrated(migrations, [{ latest: true }]);
    const copy = join(tempDir(), 'copy.db');
    const shell = spawnSync('sqlite3', ['-bail', copy], { input: dump, encoding: 'utf8' });
    expect(shell.stderr).toBe('');
    expect(shell.status).toBe(0);
    const [live, loaded] = [new Database(path, { readonly: true }), new Database(copy, { readonly: true })];
    try {
      expect(schemaHash(loaded)).toBe(schemaHash(live));
      expect(await dumpSchema(loaded, [])).toBe(await dumpSchema(live, []));
      // the same bytes through the async connection
      const conn = await openSqlite(path, { mode: 'readonly' });
      expect(await dumpSchema(conn, [])).toBe(await dumpSchema(live, []));
      await conn.close();
    } finally {
      live.close();
      loaded.close();
    }
  });
});

describe('layoutSql', () => {
  it('drops comments and extra spaces, keeps spelling and quoting, one table definition per line', () => {
    expect(layoutSql('create table "T x"(a int,  -- id\n b text default \'x  y\' ,c blob)  strict')).toBe(
      `create table "T x" (\n  a int,\n  b text default 'x  y',\n  c blob\n) strict`,
    );
    expect(layoutSql('CREATE  INDEX i ON t( a , b )')).toBe('CREATE INDEX i ON t (a, b)');
  });
});
