// A migration that DialectMigrator (the API) left part-done, finished by `mfmig migrate`, which
// runs SQLite through Migrator and its transformer plugin. DialectMigrator saves no cursor for a
// transformation it ran in the migration's transaction; the command must not run that one again.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DialectMigrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { createConnectionTransformer } from '@mfmig/framework';
import { mfmig, tempDir, writeMigrations } from './helpers.js';

const ORDERS = 300;

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
      runner.events.on('operationProgress', (p) => p.operation === 'transform archive_orders' && p.done >= 100 && stop.abort());
      const first = await runner.migrate(undefined, { signal: stop.signal });
      expect(first.error).toMatchObject({ code: 'INTERRUPTED' });
    } finally {
      adapter.close();
    }

    const before = new Database(path, { readonly: true });
    expect(before.prepare('SELECT status FROM mfmig_history WHERE version = 2').pluck().get()).toBe('partial');
    expect(before.prepare('SELECT count(*) FROM order_notes').pluck().get()).toBe(ORDERS);
    expect(before.prepare('SELECT count(*) FROM order_archive').pluck().get()).toBeLessThan(ORDERS);
    before.close();

    const run = mfmig(dir, ['--migrations', migrations, '--db', path, '--json', '--yes', 'migrate']);
    expect(run.code).toBe(0);
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT status FROM mfmig_history WHERE version = 2').pluck().get()).toBe('applied');
    for (const table of ['order_notes', 'order_archive']) {
      expect(after.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(ORDERS);
      expect(after.prepare(`SELECT count(DISTINCT order_id) FROM ${table}`).pluck().get()).toBe(ORDERS);
    }
    expect(after.prepare('SELECT count(*) FROM order_archive a JOIN orders o ON o.id = a.order_id AND o.total = a.total').pluck().get()).toBe(ORDERS);
    expect(after.prepare('SELECT count(*) FROM mfmig_transform_cursors').pluck().get()).toBe(0);
    after.close();
  });
});
