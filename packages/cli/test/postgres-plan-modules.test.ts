// `mfmig plan` on PostgreSQL reads a module migration from the statements it ran in the plan's
// rehearsal: its locks, its risk rules, and what its declared transformations do after its
// transaction. Each test runs against the live server, in a scratch database of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** The schema's relations, columns and indexes, mfmig's history and any scratch schema left behind: what "the plan wrote nothing" compares. */
const catalog = (url: string) =>
  withClient(url, async (c) => ({
    relations: (await c.query(`SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1`)).rows,
    columns: (await c.query(`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`)).rows,
    indexes: (await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`)).rows,
    history: (await c.query('SELECT version, status FROM mfmig_history ORDER BY version')).rows,
    schemas: (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'`)).rows,
    orders: (await c.query('SELECT count(*)::int AS n, sum(amount)::bigint AS total FROM orders')).rows,
  }));

const ORDERS = 20_000;

const BASE = sqlMigration(`CREATE TABLE orders (id bigint PRIMARY KEY, amount integer NOT NULL, note text);
INSERT INTO orders SELECT g, g % 500, 'n' || g FROM generate_series(1, ${ORDERS}) g;`);

/** Modules as a Kysely project writes them: the schema builder, and a declared data move. */
const MODULES = {
  'mvp2/0002_widen_amount.mjs': `export async function up(db) {
  await db.schema.alterTable('orders').alterColumn('amount', (c) => c.setDataType('bigint')).execute();
}
export async function down(db) {
  await db.schema.alterTable('orders').alterColumn('amount', (c) => c.setDataType('integer')).execute();
}
`,
  'mvp2/0003_note_index.mjs': `export async function up(db) {
  await db.schema.createIndex('orders_note').on('orders').column('note').execute();
}
export async function down(db) {
  await db.schema.dropIndex('orders_note').execute();
}
`,
  'mvp2/0004_order_archive.mjs': `export const transformations = [
  { id: 'archive_orders', name: 'archive', sourceTable: 'orders', targetTable: 'order_archive', transformationType: 'convert',
    sql: 'INSERT INTO order_archive (order_id, amount) SELECT id, amount FROM orders WHERE id > @batchStart AND id <= @batchEnd',
    reversible: true, reverse: 'DELETE FROM order_archive', dependencies: [] },
];
export async function up(db) {
  await db.schema.createTable('order_archive').addColumn('order_id', 'bigint', (c) => c.primaryKey()).addColumn('amount', 'bigint').execute();
}
export async function down(db) {
  await db.schema.dropTable('order_archive').execute();
}
`,
};

type Lock = { table: string; mode: string; blocksWrites: boolean; created?: true };
const lockModes = (locks: Lock[]) => locks.map((l) => [l.table, l.mode]);

/** A scratch database migrated to version 1 (orders, analysed, keeping `keep` rows), its folder holding `pending` too. */
async function ordersAt1(pending: Record<string, string>, keep = ORDERS): Promise<{ url: string; dir: string }> {
  const url = await scratchDatabase();
  const dir = tempDir();
  writeMigrations(dir, { 'mvp1/0001_orders.sql': BASE, ...pending });
  expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
  if (keep < ORDERS) await rows(url, `DELETE FROM orders WHERE id > ${keep}`);
  await rows(url, 'ANALYZE orders');
  return { url, dir };
}

describe('plan on PostgreSQL analyses module migrations from their rehearsal', () => {
  it('gives Kysely modules their locks and rules, tells a continued data move from its transaction, and writes nothing', async () => {
    const { url, dir } = await ordersAt1(MODULES);
    const before = await catalog(url);

    // a sample of 1,000 rows: below the transformer's 10,000-row threshold, where the live table is above it
    const plan = mfmig(dir, ['--db', url, '--json', 'plan', '--sample-rows', '1000']);
    expect(plan.code, plan.stderr).toBe(0);
    const [widen, index, archive] = plan.json.steps;
    expect(plan.json.steps.map((s: { analyzed: boolean; analyzedFrom?: string }) => [s.analyzed, s.analyzedFrom])).toEqual([
      [true, 'rehearsal'],
      [true, 'rehearsal'],
      [true, 'rehearsal'],
    ]);

    // the schema builder's ALTER COLUMN TYPE rewrites the table under ACCESS EXCLUSIVE, as the same SQL file would
    expect(lockModes(widen.locks)).toEqual([['orders', 'ACCESS EXCLUSIVE']]);
    expect(widen.rules.map((r: { rule: string; severity: string }) => [r.rule, r.severity])).toEqual([
      ['pg-column-type-rewrite', 'high'],
      ['pg-code-rehearsed', 'low'],
    ]);
    expect(widen.rules[0]).toMatchObject({ table: 'orders', rows: ORDERS, statement: 'alter table "orders" alter column "amount" type bigint' });
    expect([widen.riskLevel, widen.blocksReads, widen.blocksWrites]).toEqual(['high', ['orders'], ['orders']]);
    expect(index.rules.map((r: { rule: string }) => r.rule)).toEqual(['pg-index-without-concurrently', 'pg-code-rehearsed']);
    expect(index.blocksWrites).toEqual(['orders']);

    // the data move runs after the commit in batches, as the live run will: its transaction takes no lock on orders
    expect(archive.locks.find((l: Lock) => l.table === 'orders')).toBeUndefined();
    expect(archive.blocksWrites).toEqual([]);
    expect(lockModes(archive.continued.batchLocks)).toEqual([
      ['orders', 'SHARE'],
      ['order_archive', 'ROW EXCLUSIVE'],
    ]);
    expect(archive.continued.finalBlocksWrites).toEqual(['orders']);
    expect(archive.continued.statements).toBeGreaterThan(0);
    expect(plan.json.rehearsal.steps.find((s: { version: number }) => s.version === 4).ran.batches.length).toBeGreaterThan(0);

    expect([plan.json.riskLevel, plan.json.blocksReads, plan.json.blocksWrites]).toEqual(['high', ['orders'], ['orders']]);
    expect(plan.json.notes.some((n: string) => n.includes('not analyzed (code)'))).toBe(false);
    expect(await catalog(url)).toEqual(before);

    // the text rendering of the same plan succeeds
    expect(mfmig(dir, ['--db', url, 'plan', '--sample-rows', '1000']).code).toBe(0);
    expect(await catalog(url)).toEqual(before);
  });

  it('makes migrate refuse a high-risk module without --yes, as it refuses the same SQL file, and changes nothing', async () => {
    const { url, dir } = await ordersAt1({ 'mvp2/0002_widen_amount.mjs': MODULES['mvp2/0002_widen_amount.mjs'] });
    const before = await catalog(url);
    const refused = mfmig(dir, ['--db', url, 'migrate']);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(await catalog(url)).toEqual(before);
    const accepted = mfmig(dir, ['--db', url, '--yes', '--json', 'migrate']);
    expect([accepted.code, accepted.json.toVersion], accepted.stderr).toEqual([0, 2]);
    expect(await rows(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'amount'")).toEqual([
      { data_type: 'bigint' },
    ]);
    expect((await rows(url, 'SELECT count(*)::int AS n FROM orders'))[0]!.n).toBe(ORDERS);
  });

  it("reads a transaction: none module as it runs: its concurrent index build alone, none of the runner's own statements", async () => {
    const { url, dir } = await ordersAt1({
      'mvp2/0002_note_index.mjs': `export const meta = { transaction: 'none' };
export async function up(db, ctx) {
  await ctx.exec('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note ON orders (note)');
}
export async function down(db, ctx) {
  await ctx.exec('DROP INDEX CONCURRENTLY IF EXISTS orders_note');
}
`,
    });
    const before = await catalog(url);
    const plan = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect(plan.code, plan.stderr).toBe(0);
    const [index] = plan.json.steps;
    expect([index.transactional, index.analyzedFrom, index.statements]).toEqual([false, 'rehearsal', 1]);
    expect(lockModes(index.locks)).toEqual([['orders', 'SHARE UPDATE EXCLUSIVE']]);
    expect(index.rules.map((r: { rule: string; severity: string }) => [r.rule, r.severity])).toEqual([
      ['pg-non-transactional', 'low'],
      ['pg-code-rehearsed', 'low'],
    ]);
    expect([index.riskLevel, index.blocksWrites]).toEqual(['low', []]);
    expect(await catalog(url)).toEqual(before);
  });

  it('keeps a data move in the transaction when the live source is small, and leaves a module unanalysed without a rehearsal', async () => {
    const { url, dir } = await ordersAt1({ 'mvp2/0002_order_archive.mjs': MODULES['mvp2/0004_order_archive.mjs'] }, 5000);
    const before = await catalog(url);

    const plan = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect(plan.code, plan.stderr).toBe(0);
    const [archive] = plan.json.steps;
    // 5,000 rows move in the migration's transaction, whose SHARE lock on orders holds writes until it commits
    expect(archive.continued).toBeUndefined();
    expect(lockModes(archive.locks.filter((l: Lock) => !l.created))).toEqual([['orders', 'SHARE']]);
    expect(archive.blocksWrites).toEqual(['orders']);

    const unrehearsed = mfmig(dir, ['--db', url, '--json', 'plan', '--no-rehearse']);
    expect(unrehearsed.code, unrehearsed.stderr).toBe(0);
    expect([unrehearsed.json.steps[0].analyzed, unrehearsed.json.steps[0].rules.map((r: { rule: string }) => r.rule)]).toEqual([
      false,
      ['pg-code-not-analyzed'],
    ]);
    expect(await catalog(url)).toEqual(before);
  });
});
