import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServiceContext } from '@mfmig/core';
import { schemaHash } from '@mfmig/schema-evolution';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const FILES = {
  'mvp1/0001_create_items.sql': sqlMigration(
    'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX items_name ON items (name);',
    'DROP TABLE items;',
  ),
  'mvp1/0002_add_orders.sql': sqlMigration(
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id), qty INTEGER);',
    'DROP TABLE orders;',
  ),
  'mvp2/0003_add_notes.sql': sqlMigration('ALTER TABLE items ADD COLUMN note TEXT;', 'ALTER TABLE items DROP COLUMN note;'),
};

function rows(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).raw().all();
  } finally {
    db.close();
  }
}

/** A folder with the migrations and `knowledge.db` at version 3 with rows in it (made through the API: fast). */
async function migratedFolder(): Promise<{ dir: string; db: string }> {
  const dir = tempDir();
  const db = join(dir, 'knowledge.db');
  const ctx = createServiceContext({ database: db, migrationsPath: writeMigrations(dir, FILES) }, { create: true });
  expect((await (await ctx.migrator()).migrate({ latest: true })).error).toBeUndefined();
  ctx.adapter.raw.exec("INSERT INTO items (name, note) VALUES ('valve', 'spare'), ('pump', 'old'); INSERT INTO orders (item_id, qty) VALUES (1, 5);");
  ctx.close();
  return { dir, db };
}

const versions = (db: string) => rows(db, 'SELECT version FROM mfmig_history ORDER BY version').flat();

describe('mfmig rollback without a target, --step, and redo', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => ({ dir, db } = await migratedFolder()));

  it('refuses bad step counts and several targets with exit 2, leaving the database as it was', () => {
    const before = sha256File(db);
    for (const args of [
      ['--step', '4'],
      ['--step', '0'],
      ['--step', 'two'],
      ['--step', '1', '--to', '1'],
      ['--to', '1', '--to-mvp', '1'],
    ]) {
      expect(mfmig(dir, ['rollback', ...args]).code, args.join(' ')).toBe(2);
    }
    expect(sha256File(db)).toBe(before);
    expect(existsSync(join(dir, 'schema.sql'))).toBe(false);
  });

  it('redoes the last migration with its data, rolls back the last one with no target, then --step 2 down to none', () => {
    const redo = mfmig(dir, ['--json', 'redo']);
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.json.result.rollback.preserved.map((p: { table: string; rows: number }) => [p.table, p.rows])).toEqual([['items', 2]]);
    expect(rows(db, 'SELECT name, note FROM items ORDER BY id')).toEqual([
      ['valve', 'spare'],
      ['pump', 'old'],
    ]);
    expect(versions(db)).toEqual([1, 2, 3]);

    expect(mfmig(dir, ['rollback']).code).toBe(0);
    expect(versions(db)).toEqual([1, 2]);
    expect(mfmig(dir, ['--yes', 'rollback', '--step', '2']).code).toBe(0);
    expect(versions(db)).toEqual([]);
    expect(rows(db, "SELECT name FROM sqlite_schema WHERE name IN ('items', 'orders')")).toEqual([]);
  });
});

describe('mfmig redo refusals', () => {
  it('refuses a last migration without a down with exit 3 and changes no file', async () => {
    const dir = tempDir();
    const db = join(dir, 'knowledge.db');
    const ctx = createServiceContext(
      { database: db, migrationsPath: writeMigrations(dir, { ...FILES, 'mvp2/0003_add_notes.sql': sqlMigration('ALTER TABLE items ADD COLUMN note TEXT;') }) },
      { create: true },
    );
    expect((await (await ctx.migrator()).migrate({ latest: true })).error).toBeUndefined();
    ctx.close();
    const before = sha256File(db);
    expect(mfmig(dir, ['redo']).code).toBe(3);
    expect(sha256File(db)).toBe(before);
    expect(existsSync(join(dir, 'backups'))).toBe(false);
    expect(existsSync(join(dir, 'schema.sql'))).toBe(false);
  });
});

describe('the schema file', () => {
  it('is the same bytes after migrate and after migrate --to 1 then migrate, and sqlite3 rebuilds the schema from it', () => {
    const [a, b] = [tempDir(), tempDir()];
    for (const d of [a, b]) writeMigrations(d, FILES);
    expect(mfmig(a, ['migrate']).code).toBe(0);
    expect(mfmig(b, ['migrate', '--to', '1']).code).toBe(0);
    expect(mfmig(b, ['migrate']).code).toBe(0);
    const dump = readFileSync(join(a, 'schema.sql'), 'utf8');
    expect(readFileSync(join(b, 'schema.sql'), 'utf8')).toBe(dump);
    expect(dump).toMatch(/^CREATE TABLE items \(\n {2}id INTEGER PRIMARY KEY,\n {2}name TEXT NOT NULL,\n {2}note TEXT\n\);$/m);
    expect(dump).not.toContain('mfmig_');
    expect(dump.trimEnd().split('\n').slice(-3)).toEqual(['-- 0001_create_items', '-- 0002_add_orders', '-- 0003_add_notes']);

    const copy = join(a, 'new.db');
    const shell = spawnSync('sqlite3', ['-bail', copy], { input: dump, encoding: 'utf8' });
    expect(shell.status, shell.stderr).toBe(0);
    const [live, loaded] = [new Database(join(a, 'knowledge.db'), { readonly: true }), new Database(copy, { readonly: true })];
    expect(schemaHash(loaded)).toBe(schemaHash(live));
    live.close();
    loaded.close();
  });

  it('is not written by a dry run, with --no-dump or NO_SCHEMA_DUMP, and goes where --schema-file, SCHEMA_FILE or the config says', () => {
    const dir = tempDir();
    writeMigrations(dir, FILES);
    expect(mfmig(dir, ['migrate', '--dry-run']).code).toBe(0);
    expect(mfmig(dir, ['--no-dump', 'migrate', '--to', '1']).code).toBe(0);
    expect(mfmig(dir, ['migrate', '--to', '2'], { NO_SCHEMA_DUMP: '1' }).code).toBe(0);
    expect(existsSync(join(dir, 'schema.sql'))).toBe(false);
    expect(mfmig(dir, ['--schema-file', 'db/schema.sql', 'rollback']).code).toBe(0);
    expect(readFileSync(join(dir, 'db', 'schema.sql'), 'utf8')).toMatch(/-- 0001_create_items\n$/);
    writeFileSync(join(dir, 'mfmig.config.json'), JSON.stringify({ schemaFile: 'from-config.sql' }));
    expect(mfmig(dir, ['migrate', '--to', '2']).code).toBe(0);
    expect(readFileSync(join(dir, 'from-config.sql'), 'utf8')).toMatch(/-- 0002_add_orders\n$/);
    expect(mfmig(dir, ['migrate'], { SCHEMA_FILE: 'other.sql' }).code).toBe(0);
    expect(readFileSync(join(dir, 'other.sql'), 'utf8')).toMatch(/-- 0003_add_notes\n$/);
  });

  it('refuses a symbolic link, the database and a file mfmig did not write with exit 3, before changing anything', async () => {
    const { dir, db } = await migratedFolder();
    const outside = join(tempDir(), 'elsewhere.sql');
    writeFileSync(outside, 'keep me');
    symlinkSync(outside, join(dir, 'schema.sql'));
    writeFileSync(join(dir, 'notes.sql'), 'my own file');
    const before = sha256File(db);
    expect(mfmig(dir, ['rollback']).code).toBe(3);
    expect(mfmig(dir, ['--schema-file', 'knowledge.db', 'rollback']).code).toBe(3);
    expect(mfmig(dir, ['--schema-file', 'notes.sql', 'redo']).code).toBe(3);
    expect(sha256File(db)).toBe(before);
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(readFileSync(join(dir, 'notes.sql'), 'utf8')).toBe('my own file');
  });
});
