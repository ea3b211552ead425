// A migration that one SQLite runner left part-done, finished by the other: `mfmig migrate` runs
// SQLite through Migrator and its transformer plugin, an application's own code may run
// DialectMigrator with the connection transformer. DialectMigrator saves no cursor for a
// transformation it ran in the migration's transaction; the command must not run that one again.
// Interrupted in the process, and killed with SIGKILL in a real child process, both ways.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DialectMigrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { createConnectionTransformer } from '@mfmig/framework';
import { BIN, REPO, cliEnv, mfmig, tempDir, writeMigrations } from './helpers.js';

const ORDERS = 3000;
// DialectMigrator in a child process, through the built packages
const CHILD = join(REPO, 'packages/transformer/test/fixtures/connection-crash-child.mjs');
const DISTS = [join(REPO, 'packages/core/dist/index.js'), join(REPO, 'packages/transformer/dist/index.js')];

const MIGRATIONS = {
  'mvp1/0001_orders.sql': `-- migrate:up
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total INTEGER NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ORDERS})
INSERT INTO orders (customer, total) SELECT 'c' || (i % 7), i * 10 FROM n;
-- migrate:down
DROP TABLE orders;
`,
  'mvp1/0002_split.mjs': `export const transformations = [
  { id: 'order_notes', name: 'notes', sourceTable: 'orders', targetTable: 'order_notes', transformationType: 'convert', batch: 'never',
    transform: (row) => ({ order_id: row.id, note: row.customer + ':' + row.total }), reversible: true, reverse: 'DELETE FROM order_notes', dependencies: [] },
  { id: 'archive_orders', name: 'archive', sourceTable: 'orders', targetTable: 'order_archive', transformationType: 'convert', batch: 'always', batchSize: 50,
    sql: 'INSERT INTO order_archive (order_id, total) SELECT id, total FROM orders WHERE id > @batchStart AND id <= @batchEnd', reversible: true,
    reverse: 'DELETE FROM order_archive', dependencies: ['order_notes'] },
];
export async function up(db) {
  await db.schema.createTable('order_notes').addColumn('order_id', 'integer').addColumn('note', 'text').execute();
  await db.schema.createTable('order_archive').addColumn('order_id', 'integer').addColumn('total', 'integer').execute();
}
export async function down(db) {
  await db.schema.dropTable('order_archive').execute();
  await db.schema.dropTable('order_notes').execute();
}
`,
};

/** Runs `node args` and SIGKILLs it once `pattern` has matched `killAfter` lines of its stdout and stderr. */
function killedAfter(args: string[], pattern: RegExp, killAfter: number, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env });
    let seen = 0;
    const count = (chunk: Buffer) => {
      seen += chunk
        .toString()
        .split('\n')
        .filter((line) => pattern.test(line)).length;
      if (seen >= killAfter && child.exitCode === null) child.kill('SIGKILL');
    };
    child.stdout.on('data', count);
    child.stderr.on('data', count);
    child.on('error', fail);
    child.on('exit', (_code, signal) => done(signal));
  });
}

/**
 * The database was left partial at version 2, with every order noted once and part of them
 * archived. Read as mfmig opens it read-only: a kill in the middle of a batch leaves a hot
 * journal, rolled back before the read, as the next runner rolls it back.
 */
function expectPartDone(path: string): void {
  const db = openDatabase(path, { mode: 'readonly' });
  try {
    expect(db.checkIntegrity('full', 5)).toEqual([]);
    expect(db.value('SELECT status FROM mfmig_history WHERE version = 2')).toBe('partial');
    expect(db.value('SELECT count(*) FROM order_notes')).toBe(ORDERS);
    expect(db.value('SELECT count(*) FROM order_archive')).toBeLessThan(ORDERS);
  } finally {
    db.close();
  }
}

/** Version 2 applied, every order once in both targets, no cursor left. */
function expectEachOrderOnce(path: string): void {
  const db = new Database(path, { readonly: true });
  try {
    expect(db.prepare('SELECT status FROM mfmig_history WHERE version = 2').pluck().get()).toBe('applied');
    for (const table of ['order_notes', 'order_archive']) {
      expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(ORDERS);
      expect(db.prepare(`SELECT count(DISTINCT order_id) FROM ${table}`).pluck().get()).toBe(ORDERS);
    }
    expect(db.prepare('SELECT count(*) FROM order_archive a JOIN orders o ON o.id = a.order_id AND o.total = a.total').pluck().get()).toBe(ORDERS);
    expect(db.prepare('SELECT count(*) FROM mfmig_transform_cursors').pluck().get()).toBe(0);
  } finally {
    db.close();
  }
}

describe('a migration one SQLite runner left part-done, finished by the other', () => {
  it('DialectMigrator killed with SIGKILL mid-move: mfmig migrate finishes it, each row once', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, MIGRATIONS);
    const path = join(dir, 'app.db');
    openDatabase(path, { create: true }).close();
    expect(await killedAfter([CHILD, ...DISTS, path, migrations], /^progress transform archive_orders/, 3)).toBe('SIGKILL');
    expectPartDone(path);
    expect(mfmig(dir, ['--migrations', migrations, '--db', path, '--json', '--yes', 'migrate']).code).toBe(0);
    expectEachOrderOnce(path);
  });

  it('mfmig migrate killed with SIGKILL mid-move: DialectMigrator finishes it, each row once', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, MIGRATIONS);
    const path = join(dir, 'app.db');
    const args = [BIN, '--migrations', migrations, '--db', path, '--json', '--yes', 'migrate'];
    const env = cliEnv({ MFMIG_TEST_STEP_MARKERS: '1' });
    expect(await killedAfter(args, /@@mfmig-step \d+ operationProgress:transform archive_orders/, 3, env)).toBe('SIGKILL');
    expectPartDone(path);
    const child = spawn(process.execPath, [CHILD, ...DISTS, path, migrations], { stdio: 'ignore' });
    expect(await new Promise((done) => child.on('exit', done))).toBe(0);
    expectEachOrderOnce(path);
  });
});

describe('mfmig migrate over a migration DialectMigrator left part-done', () => {
  it('finishes it from the saved cursor, and runs no transformation twice', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, MIGRATIONS);
    const path = join(dir, 'app.db');
    const adapter = openDatabase(path, { create: true });
    try {
      const runner = new DialectMigrator({
        connection: new SqliteConnection(adapter),
        migrations: await loadMigrations(migrations),
        participants: [createConnectionTransformer({ pacing: { targetMs: 1000, pauseMs: 0 } })],
      });
      const stop = new AbortController();
      runner.events.on('operationProgress', (p) => p.operation === 'transform archive_orders' && p.done >= 300 && stop.abort());
      const first = await runner.migrate(undefined, { signal: stop.signal });
      expect(first.error).toMatchObject({ code: 'INTERRUPTED' });
    } finally {
      adapter.close();
    }

    expectPartDone(path);
    expect(mfmig(dir, ['--migrations', migrations, '--db', path, '--json', '--yes', 'migrate']).code).toBe(0);
    expectEachOrderOnce(path);
  });
});
