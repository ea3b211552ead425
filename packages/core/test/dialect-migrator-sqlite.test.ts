// DialectMigrator, the runner of the async dialect boundary, on SQLite: the same history rows as
// Migrator, the same checks around every body (see migration-safety.test.ts, which runs its cases
// on both runners), one runner at a time across processes, and nothing half-applied after kill -9.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, Migrator, SqliteConnection, isMfmigError, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';

const RUNNER = resolve(import.meta.dirname, 'children/dialect-runner.mjs');
// the built package, as users get it (the test command builds first): a child that compiles the sources takes seconds
const CORE_DIST = resolve(import.meta.dirname, '../dist/index.js');
const SQLITE_DRIVER = createRequire(resolve(import.meta.dirname, '../package.json')).resolve('better-sqlite3');

afterAll(removeTempDirs);

const INIT = `-- migrate:up
CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author (id) ON DELETE CASCADE, title TEXT);
-- migrate:down
DROP TABLE book;
DROP TABLE author;
`;

/** A rebuild of `author` whose down rebuilds it back the same way, each declaring foreign keys off in its own section. */
const REBUILD = `-- migrate:up
PRAGMA foreign_keys = off;
CREATE TABLE author_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author_new (id, name) SELECT id, coalesce(name, '') FROM author;
DROP TABLE author;
ALTER TABLE author_new RENAME TO author;
-- migrate:down
PRAGMA foreign_keys = off;
CREATE TABLE author_old (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO author_old (id, name) SELECT id, name FROM author;
DROP TABLE author;
ALTER TABLE author_old RENAME TO author;
`;

const rows = (a: DatabaseAdapter) => a.all('SELECT b.id, b.title, a.name FROM book b JOIN author a ON a.id = b.author_id ORDER BY b.id');
const versions = (a: DatabaseAdapter) => a.all<{ version: number }>('SELECT version FROM mfmig_history ORDER BY version').map((r) => r.version);
const schema = (a: DatabaseAdapter) => a.all("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'mfmig%' ORDER BY name");

function seeded(files: Record<string, string>): { file: string; dir: string } {
  const dir = tempTree(files);
  return { dir, file: join(tempDir(), 'db.sqlite') };
}

describe('DialectMigrator on SQLite', () => {
  it('shares its history with Migrator: either runner picks up where the other stopped, and a rebuild keeps every child row both ways', async () => {
    const { dir, file } = seeded({
      'mvp1/0001_init.sql': INIT,
      'mvp2/0002_rebuild.sql': REBUILD,
      'mvp2/0003_index.sql': '-- migrate:up\nCREATE INDEX book_title ON book (title);\n-- migrate:down\nDROP INDEX book_title;\n',
    });
    const adapter = openDatabase(file, { create: true });
    const migrations = await loadMigrations(dir);
    expect((await new Migrator({ adapter, migrations }).migrate({ version: 1 })).error).toBeUndefined();
    adapter.run("INSERT INTO author VALUES (1, 'Ann'), (2, NULL)");
    adapter.run("INSERT INTO book VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'z')");
    const before = rows(adapter);

    const dialect = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations });
    const up = await dialect.migrate();
    expect(up.error).toBeUndefined();
    expect(up.results.map((r) => [r.version, r.status])).toEqual([
      [2, 'Success'],
      [3, 'Success'],
    ]);
    expect(rows(adapter)).toEqual(before.map((r) => ({ ...(r as object), name: (r as { name: string | null }).name ?? '' })));
    expect(adapter.all('PRAGMA foreign_key_check')).toEqual([]);
    expect(adapter.foreignKeysEnabled()).toBe(true);
    const status = await new Migrator({ adapter, migrations }).status();
    expect([status.currentVersion, status.problems]).toEqual([3, []]);

    const down = await dialect.rollback({ version: 1 });
    expect(down.error).toBeUndefined();
    expect(versions(adapter)).toEqual([1]);
    expect(rows(adapter)).toHaveLength(3);
    expect(adapter.get<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'author'")?.sql).toMatch(/name TEXT\)$/);
    expect(adapter.foreignKeysEnabled()).toBe(true);
    expect((await new Migrator({ adapter, migrations }).migrate()).error).toBeUndefined();
    expect(versions(adapter)).toEqual([1, 2, 3]);
    adapter.close();
  });

  it('refuses a down that would cascade into rows it never names, and keeps them', async () => {
    const { dir, file } = seeded({
      'mvp1/0001_init.sql': INIT,
      'mvp2/0002_purge.sql':
        '-- migrate:up\nCREATE TABLE note (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE note;\nDELETE FROM author WHERE id = 1;\n',
    });
    const adapter = openDatabase(file, { create: true });
    const dialect = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations: await loadMigrations(dir) });
    expect((await dialect.migrate({ version: 1 })).error).toBeUndefined();
    adapter.run("INSERT INTO author VALUES (1, 'Ann')");
    adapter.run("INSERT INTO book VALUES (1, 1, 'x'), (2, 1, 'y')");
    expect((await dialect.migrate()).error).toBeUndefined();

    const down = await dialect.rollback({ version: 1 });
    expect(isMfmigError(down.error) && down.error.context.check).toBe('cascade');
    expect(versions(adapter)).toEqual([1, 2]);
    expect(rows(adapter)).toHaveLength(2);
    expect(adapter.tableExists('note')).toBe(true);
    adapter.close();
  });

  it('leaves the schema exactly as it was when a migration fails in its third statement', async () => {
    const { dir, file } = seeded({
      'mvp1/0001_init.sql': INIT,
      'mvp2/0002_fails.sql':
        "-- migrate:up\nALTER TABLE book ADD COLUMN isbn TEXT;\nCREATE INDEX book_isbn ON book (isbn);\nINSERT INTO book (id, author_id, title) VALUES (1, 404, 'orphan');\n",
    });
    const adapter = openDatabase(file, { create: true });
    const dialect = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations: await loadMigrations(dir) });
    expect((await dialect.migrate({ version: 1 })).error).toBeUndefined();
    const before = schema(adapter);
    const result = await dialect.migrate();
    expect(isMfmigError(result.error) && result.error.code).toBe('MIGRATION_FAILED');
    expect(schema(adapter)).toEqual(before);
    expect(versions(adapter)).toEqual([1]);
    expect((await dialect.status()).problems.map((p) => [p.code, p.version])).toEqual([['MIGRATION_FAILED', 2]]);
    adapter.close();
  });

  it("waits out an application's write transaction longer than busy_timeout, retrying BEGIN, instead of failing the step", async () => {
    const { dir, file } = seeded({ 'mvp1/0001_init.sql': INIT, 'mvp1/0002_more.sql': '-- migrate:up\nCREATE TABLE more (id INTEGER);\n' });
    const adapter = openDatabase(file, { create: true, busyTimeout: 200 });
    const migrations = await loadMigrations(dir);
    const connection = new SqliteConnection(adapter);
    expect((await new DialectMigrator({ connection, migrations }).migrate({ version: 1 })).error).toBeUndefined();
    // the run lock is held first, so that the application's transaction meets the step's own BEGIN, not the lock's
    await connection.lock.acquire({ timeoutMs: 1_000, command: 'test' });
    // the application: another process that writes in one transaction for 1.2 s
    const app = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require(process.argv[1]))(process.argv[2]); db.exec('BEGIN IMMEDIATE'); db.exec("INSERT INTO author VALUES (1, 'app')");
         process.stdout.write('writing\\n'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1200);`,
        SQLITE_DRIVER,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const closed = new Promise((resolveExit) => app.once('close', resolveExit));
    await new Promise<void>((resolveWriting) => app.stdout!.once('data', () => resolveWriting()));
    const dialect = new DialectMigrator({
      connection,
      migrations,
      lockWait: { retries: 5, retryDelayMs: 100, maxDelayMs: 400 },
    });
    const retries: unknown[] = [];
    dialect.events.on('log', (e) => {
      if (e.event === 'migration.lock_timeout_retry') retries.push(e);
    });
    const result = await dialect.migrate({ latest: true }, { lockHeld: true });
    await connection.lock.release();
    await closed;
    expect(result.error).toBeUndefined();
    expect(retries.length).toBeGreaterThan(0);
    expect(versions(adapter)).toEqual([1, 2]);
    expect(adapter.all('SELECT name FROM author')).toEqual([{ name: 'app' }]);
    adapter.close();
  });

  it('lets four runners in four processes race: each version is applied once', async () => {
    const { dir, file } = seeded({
      'mvp1/0001_init.sql': INIT,
      'mvp1/0002_count.sql': '-- migrate:up\nCREATE TABLE runs (n INTEGER);\nINSERT INTO runs VALUES (1);\n',
      'mvp1/0003_more.sql': '-- migrate:up\nINSERT INTO runs VALUES (2);\n',
    });
    const outputs = await Promise.all([1, 2, 3, 4].map(() => runChild(file, dir).done));
    const applied = outputs.flatMap((lines) => lines.filter((l) => l.status === 'Success').map((l) => l.version));
    expect(applied.sort()).toEqual([1, 2, 3]);
    expect(outputs.every((lines) => lines.at(-1)?.done === true)).toBe(true);
    const adapter = openDatabase(file);
    expect(adapter.all('SELECT n FROM runs ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(versions(adapter)).toEqual([1, 2, 3]);
    adapter.close();
  });

  it('leaves nothing half-applied when its process is killed with SIGKILL mid-migration, and the next run takes over the lock', async () => {
    const { dir, file } = seeded({
      'mvp1/0001_init.sql': INIT,
      'mvp1/0002_slow.ts': `export async function up(db, ctx) {
  ctx.exec('CREATE TABLE half (id INTEGER)');
  ctx.exec("INSERT INTO author VALUES (7, 'inside')");
  if (!process.env.MFMIG_TEST_HOLD) return;
  process.stdout.write(JSON.stringify({ inside: true }) + '\\n');
  await new Promise((r) => setTimeout(r, 60_000));
}`,
    });
    const child = runChild(file, dir, { MFMIG_TEST_HOLD: '1' });
    await child.reached((line) => line.inside === true);
    child.process.kill('SIGKILL');
    await child.done.catch(() => []);

    const adapter = openDatabase(file);
    expect(adapter.tableExists('half')).toBe(false);
    expect(adapter.all('SELECT id FROM author')).toEqual([]);
    expect(versions(adapter)).toEqual([1]);
    // the killed runner's lock row is taken over (its process is gone), and the migration is applied whole
    const dialect = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations: await loadMigrations(dir), lockTimeout: 5_000 });
    const taken: unknown[] = [];
    dialect.events.on('lockTakenOver', (e) => taken.push(e));
    expect((await dialect.migrate()).error).toBeUndefined();
    expect(taken).toHaveLength(1);
    expect(adapter.tableExists('half')).toBe(true);
    expect(versions(adapter)).toEqual([1, 2]);
    adapter.close();
  }, 30_000);
});

/** One runner process; `done` resolves with its JSON lines when it exits, `reached` when a line passes `test`. */
function runChild(file: string, dir: string, env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [RUNNER, CORE_DIST, file, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { test: (l: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, at)) as Record<string, unknown>;
      buffer = buffer.slice(at + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.test(line))) w.resolve();
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Record<string, unknown>[]>((resolveDone, reject) => {
    child.on('close', (code, signal) => (code === 0 ? resolveDone(lines) : reject(new Error(`runner exited ${code ?? signal}: ${stderr}`))));
  });
  return {
    process: child,
    done,
    reached: (test: (l: Record<string, unknown>) => boolean) =>
      lines.some(test) ? Promise.resolve() : new Promise<void>((resolveWait) => waiters.push({ test, resolve: resolveWait })),
  };
}
