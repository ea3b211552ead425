import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DatabaseAdapter,
  DialectMigrator,
  type MigrationEventEmitter,
  type MigrationEvents,
  type MigrationSet,
  type MigrationTarget,
  Migrator,
  ONLINE_TABLE,
  type OnlineRebuildSettings,
  type RunResult,
  SqliteConnection,
  findRebuild,
  loadMigrations,
  openDatabase,
} from '@mfmig/core';
import { removeTempDirs, startAppWriter, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

const ITEMS = 20_000;

/** What the tests below need of a runner: both SQLite runners rebuild large tables online. */
interface Runner {
  events: MigrationEventEmitter<MigrationEvents>;
  migrate(target?: MigrationTarget, options?: { signal?: AbortSignal }): Promise<RunResult>;
}
type MakeRunner = (adapter: DatabaseAdapter, migrations: MigrationSet, onlineRebuild: OnlineRebuildSettings | false) => Runner;

const RUNNERS: [string, MakeRunner][] = [
  ['Migrator', (adapter, migrations, onlineRebuild) => new Migrator({ adapter, migrations, onlineRebuild })],
  ['DialectMigrator', (adapter, migrations, onlineRebuild) => new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, onlineRebuild })],
];

/** A parent with a child, an index and a view; 0002 rebuilds the parent the way SQLite's documentation says, to widen a CHECK. */
function writeMigrations(dir: string): string {
  const folder = join(dir, 'migrations', 'mvp1');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, '0001_items.sql'),
    `-- migrate:up
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('a', 'b')));
CREATE INDEX idx_items_kind ON items (kind, name);
CREATE TABLE item_notes (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE, body TEXT);
CREATE VIEW item_names AS SELECT id, name FROM items;
-- migrate:down
DROP VIEW item_names; DROP TABLE item_notes; DROP TABLE items;
`,
  );
  writeFileSync(
    join(folder, '0002_widen_kind.sql'),
    `-- foreign-keys: off
-- migrate:up
DROP VIEW item_names;
CREATE TABLE items_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('a', 'b', 'c')));
INSERT INTO items_new (id, name, kind) SELECT id, upper(name), kind FROM items ORDER BY id;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;
CREATE INDEX idx_items_kind ON items (kind, name);
CREATE VIEW item_names AS SELECT id, name FROM items;
-- migrate:down
SELECT 1;
`,
  );
  return join(dir, 'migrations');
}

async function seeded(dir: string, migrations: string): Promise<string> {
  const path = join(dir, 'app.db');
  const adapter = openDatabase(path, { create: true });
  const result = await new Migrator({ adapter, migrations: await loadMigrations(migrations) }).migrate({ version: 1 });
  if (result.error) throw result.error;
  adapter.transaction(() => {
    const item = adapter.raw.prepare("INSERT INTO items (id, name, kind) VALUES (?, ?, 'a')");
    const note = adapter.raw.prepare('INSERT INTO item_notes (item_id, body) VALUES (?, ?)');
    for (let i = 1; i <= ITEMS; i++) {
      item.run(i, `item ${i}`);
      if (i % 4 === 0) note.run(i, `note ${i}`);
    }
  });
  adapter.close();
  return path;
}

// SQLite quotes the table name when a rename rewrites an index (ON "items"); quoting is not a difference.
const schemaOf = (db: Database.Database) =>
  (
    db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'mfmig_%' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      sql: string;
    }[]
  ).map((o) => ({ ...o, sql: o.sql.replaceAll('"', '') }));

describe.each(RUNNERS)('a table rebuild over a large table runs online (%s)', (_name, runner) => {
  it('keeps every row and every change the application makes meanwhile, and ends with the schema of a plain run', async () => {
    const dir = tempDir();
    const migrations = await loadMigrations(writeMigrations(dir));
    const path = await seeded(dir, join(dir, 'migrations'));
    const plainPath = join(dir, 'plain.db');
    const copy = new Database(path);
    await copy.backup(plainPath);
    copy.close();

    // The app inserts, updates and deletes parent rows, and adds child rows, every 5 ms.
    const app = await startAppWriter({
      db: path,
      intervalMs: 5,
      busyTimeoutMs: 2000,
      params: { tick: '$tick' },
      sql: [
        "INSERT INTO items (id, name, kind) VALUES (100000 + @tick, 'app ' || @tick, 'b')",
        "UPDATE items SET name = 'updated ' || @tick WHERE id = @tick + 1",
        `DELETE FROM items WHERE id = ${ITEMS} - @tick`,
        "INSERT INTO item_notes (item_id, body) VALUES (100000 + @tick, 'app note')",
      ],
    });
    await new Promise((r) => setTimeout(r, 50));
    const adapter = openDatabase(path);
    const progress: string[] = [];
    const migrator = runner(adapter, migrations, { minRows: 1000, pacing: { targetMs: 20, pauseMs: 5 } });
    migrator.events.on('operationProgress', (p) => progress.push(p.operation));
    const result = await migrator.migrate();
    adapter.close();
    const report = await app.stop();
    expect(result.error).toBeUndefined();
    expect(progress).toContain('rebuild items');
    expect(report.failed).toEqual([]);

    const db = new Database(path, { readonly: true });
    const ticks = report.writes.map((w) => w.tick);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    const names = new Map((db.prepare('SELECT id, name FROM items').all() as { id: number; name: string }[]).map((r) => [r.id, r.name]));
    const deleted = new Set(ticks.map((t) => ITEMS - t));
    const updated = new Map(ticks.map((t) => [t + 1, t]));
    for (let id = 1; id <= ITEMS; id++) {
      if (deleted.has(id)) {
        expect(names.has(id), `row ${id} deleted by the app`).toBe(false);
        continue;
      }
      // a change before the copy reached the row went through the copy (upper-cased); after, through the trigger
      const expected = updated.has(id) ? `updated ${updated.get(id)}` : `item ${id}`;
      expect(names.get(id)?.toLowerCase(), `row ${id}`).toBe(expected);
    }
    for (const t of ticks) expect(names.get(100000 + t)?.toLowerCase()).toBe(`app ${t}`);
    expect(names.size).toBe(ITEMS - deleted.size + ticks.length);
    expect(db.prepare('SELECT count(*) FROM item_notes WHERE item_id NOT IN (SELECT id FROM items)').pluck().get()).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM ${ONLINE_TABLE}`).pluck().get()).toBe(0);

    // The same migration run the plain way on the copy taken before: the same schema.
    const plain = openDatabase(plainPath);
    const plainResult = await runner(plain, migrations, false).migrate();
    expect(plainResult.error).toBeUndefined();
    plain.close();
    const reference = new Database(plainPath, { readonly: true });
    expect(schemaOf(db)).toEqual(schemaOf(reference));
    expect(db.prepare("INSERT INTO items (name, kind) VALUES ('x', 'c')").reader).toBe(false);
    reference.close();
    db.close();
  });

  it('finishes on the next run a rebuild whose run stopped during the copy, from the shadow that run left', async () => {
    const dir = tempDir();
    const migrations = await loadMigrations(writeMigrations(dir));
    const path = await seeded(dir, join(dir, 'migrations'));
    const adapter = openDatabase(path);
    const online = { minRows: 1000, pacing: { targetMs: 20, pauseMs: 5 } };
    const stopped = runner(adapter, migrations, online);
    const stop = new AbortController();
    stopped.events.on('operationProgress', () => stop.abort());
    const first = await stopped.migrate(undefined, { signal: stop.signal });
    expect(first.error).toBeDefined();
    // what a kill at this point leaves: the table untouched, version 1, the shadow remembered
    expect(adapter.tableExists('items_new')).toBe(true);
    expect(adapter.all(`SELECT version FROM ${ONLINE_TABLE}`)).toEqual([{ version: 2 }]);
    expect(adapter.rowCount('items')).toBe(ITEMS);

    const progress: string[] = [];
    const rerun = runner(adapter, migrations, online);
    rerun.events.on('operationProgress', (p) => progress.push(p.operation));
    const second = await rerun.migrate();
    expect(second.error).toBeUndefined();
    expect(progress).toContain('rebuild items');
    expect(adapter.tableExists('items_new')).toBe(false);
    expect(adapter.rowCount(ONLINE_TABLE)).toBe(0);
    expect(adapter.rowCount('items')).toBe(ITEMS);
    expect(adapter.get<{ n: number }>('SELECT count(*) AS n FROM items WHERE name = upper(name)')?.n).toBe(ITEMS);
    adapter.close();
  });

  it('runs a small table, or one whose children would break, in one transaction as written', async () => {
    const dir = tempDir();
    const migrations = await loadMigrations(writeMigrations(dir));
    const path = await seeded(dir, join(dir, 'migrations'));
    const adapter = openDatabase(path);
    const progress: string[] = [];
    const migrator = runner(adapter, migrations, { minRows: ITEMS + 1, pacing: { targetMs: 20, pauseMs: 5 } });
    migrator.events.on('operationProgress', (p) => progress.push(p.operation));
    const result = await migrator.migrate();
    expect(result.error).toBeUndefined();
    expect(progress).not.toContain('rebuild items');
    expect(adapter.rowCount('items')).toBe(ITEMS);
    expect(adapter.tableExists(ONLINE_TABLE)).toBe(false);
    adapter.close();
  });
});

describe('which rebuilds run online', () => {
  const rebuild = (copy: string) => [
    'CREATE TABLE items_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL)',
    copy,
    'DROP TABLE items',
    'ALTER TABLE items_new RENAME TO items',
  ];
  const keyOf = (table: string) => (table === 'items' ? 'id' : null);

  it('takes a copy that reads the old table one row at a time, and leaves one that groups or limits its rows to run as written', () => {
    expect(findRebuild(rebuild('INSERT INTO items_new (id, name, kind) SELECT id, upper(name), kind FROM items'), keyOf)?.table).toBe('items');
    for (const copy of [
      'INSERT INTO items_new (name, id, kind) SELECT max(name), id, kind FROM items GROUP BY id',
      'INSERT INTO items_new (name, id, kind) SELECT name, id, kind FROM items ORDER BY id LIMIT 1000',
    ]) {
      expect(findRebuild(rebuild(copy), keyOf), copy).toBeNull();
    }
  });
});

describe('an online rebuild over integer keys beyond 2^53', () => {
  it('copies every row and swaps: a JS number would round the largest key down and leave its row behind', async () => {
    const dir = tempDir();
    const folder = writeMigrations(dir);
    const path = join(dir, 'big.db');
    const adapter = openDatabase(path, { create: true });
    try {
      const migrations = await loadMigrations(folder);
      expect((await new Migrator({ adapter, migrations }).migrate({ version: 1 })).error).toBeUndefined();
      // 1,500 ids ending at 2^53 + 1, which a JS number reads as 2^53
      const last = 9007199254740993n;
      adapter.transaction(() => {
        const item = adapter.raw.prepare("INSERT INTO items (id, name, kind) VALUES (?, ?, 'a')");
        for (let i = 0n; i < 1500n; i++) item.run(last - i, `item ${i}`);
      });
      const result = await new Migrator({ adapter, migrations, onlineRebuild: { minRows: 1000, pacing: { targetMs: 5, pauseMs: 0 } } }).migrate();
      expect(result.error).toBeUndefined();
      expect(adapter.value('SELECT count(*) FROM items')).toBe(1500);
      expect(adapter.value('SELECT CAST(max(id) AS TEXT) FROM items')).toBe(String(last));
      expect(adapter.value('SELECT count(*) FROM items WHERE name = upper(name)')).toBe(1500);
    } finally {
      adapter.close();
    }
  });
});
