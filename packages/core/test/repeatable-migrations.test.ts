import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MigrationSet, Migrator, type RepeatableMigration, loadMigrations, openDatabase } from '@mfmig/core';

const VERSIONED = {
  'mvp1/0001_items.sql': '-- migrate:up\nCREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);\n-- migrate:down\nDROP TABLE items;',
  'mvp1/0002_orders.sql':
    '-- migrate:up\nCREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id), qty INTEGER);\n-- migrate:down\nDROP TABLE orders;',
};

/** A repeatable built the way a folder loader builds one from `R__<name>.sql`. */
function repeatable(dir: string, name: string, sql: string): RepeatableMigration {
  const file = join(dir, 'migrations', `R__${name}.sql`);
  writeFileSync(file, sql);
  return {
    name,
    description: name.replace(/_/g, ' '),
    file,
    checksum: createHash('sha256').update(sql).digest('hex'),
    transaction: 'immediate',
    connection: { foreignKeys: 'on', legacyAlterTable: false },
    sql,
    up: (_db, ctx) => ctx.exec(sql),
  };
}

const ORDER_TOTALS =
  'DROP VIEW IF EXISTS order_totals;\nCREATE VIEW order_totals AS SELECT o.id, o.qty * i.price AS total FROM orders o JOIN items i ON i.id = o.item_id;';
const ITEM_NAMES = 'DROP VIEW IF EXISTS item_names;\nCREATE VIEW item_names AS SELECT name FROM items;';

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'mfmig-repeatable-'));
  for (const [path, text] of Object.entries(VERSIONED)) {
    mkdirSync(dirname(join(dir, 'migrations', path)), { recursive: true });
    writeFileSync(join(dir, 'migrations', path), text);
  }
  const adapter = openDatabase(join(dir, 'kb.db'), { create: true });
  const base = await loadMigrations(join(dir, 'migrations'));
  const migratorWith = (repeatables: RepeatableMigration[]) => new Migrator({ adapter, migrations: { ...base, repeatables } satisfies MigrationSet });
  return { dir, adapter, migratorWith };
}

describe('repeatable migrations', () => {
  it('run after the versioned migrations of a run, in name order, once per content; an edit makes one run again', async () => {
    const { dir, adapter, migratorWith } = await setup();
    const totals = repeatable(dir, 'order_totals', ORDER_TOTALS);
    const names = repeatable(dir, 'item_names', ITEM_NAMES);
    const first = migratorWith([totals, names]);
    expect(first.status().pendingRepeatables).toEqual([
      { name: 'item_names', applied: false },
      { name: 'order_totals', applied: false },
    ]);

    const run = await first.migrate();
    expect(run.error?.message).toBeUndefined();
    expect(run.results.map((r) => r.version)).toEqual([1, 2]);
    expect(run.repeatables?.map((r) => [r.name, r.status])).toEqual([
      ['item_names', 'Success'],
      ['order_totals', 'Success'],
    ]);
    expect(adapter.all('SELECT name, checksum, run_id FROM mfmig_repeatable ORDER BY name')).toEqual([
      { name: 'item_names', checksum: names.checksum, run_id: run.runId },
      { name: 'order_totals', checksum: totals.checksum, run_id: run.runId },
    ]);
    expect(adapter.all('SELECT version FROM mfmig_history ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
    adapter.exec("INSERT INTO items VALUES (1, 'bolt', 2.5); INSERT INTO orders VALUES (1, 1, 4);");
    expect(adapter.all('SELECT total FROM order_totals')).toEqual([{ total: 10 }]);
    expect(first.status().pendingRepeatables).toEqual([]);

    const again = await first.migrate();
    expect(again.repeatables).toEqual([]);

    const edited = repeatable(dir, 'order_totals', ORDER_TOTALS.replace('o.qty * i.price', 'o.qty * i.price * 2'));
    const second = migratorWith([edited, names]);
    expect(second.status().pendingRepeatables).toEqual([{ name: 'order_totals', applied: true }]);
    const rerun = await second.migrate();
    expect(rerun.repeatables?.map((r) => [r.name, r.status])).toEqual([['order_totals', 'Success']]);
    expect(adapter.all('SELECT total FROM order_totals')).toEqual([{ total: 20 }]);
    expect(adapter.get('SELECT checksum FROM mfmig_repeatable WHERE name = ?', ['order_totals'])).toEqual({ checksum: edited.checksum });
  });

  it('a dry run lists the pending ones and writes nothing', async () => {
    const { dir, adapter, migratorWith } = await setup();
    const migrator = migratorWith([repeatable(dir, 'order_totals', ORDER_TOTALS)]);
    const dry = await migrator.migrate({ latest: true }, { dryRun: true });
    expect(dry.error).toBeUndefined();
    expect(dry.repeatables).toEqual([expect.objectContaining({ name: 'order_totals', status: 'Pending' })]);
    expect(adapter.tableExists('mfmig_repeatable')).toBe(false);
    expect(adapter.tableExists('orders')).toBe(false);
  });

  it('a failing one fails the run: its transaction is rolled back, the failure is in the audit log, the ones after it do not run', async () => {
    const { dir, adapter, migratorWith } = await setup();
    const broken = repeatable(dir, 'a_broken', 'CREATE TABLE scratch (id INTEGER);\nINSERT INTO no_such_table VALUES (1);');
    const migrator = migratorWith([repeatable(dir, 'order_totals', ORDER_TOTALS), broken]);
    const run = await migrator.migrate();
    expect(run.error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect(run.error?.message).toContain('a_broken');
    expect(run.repeatables?.map((r) => [r.name, r.status])).toEqual([
      ['a_broken', 'Error'],
      ['order_totals', 'NotExecuted'],
    ]);
    expect(adapter.tableExists('scratch')).toBe(false);
    expect(adapter.all('SELECT name FROM mfmig_repeatable')).toEqual([]);
    expect(adapter.all('SELECT version FROM mfmig_history ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
    const audit = adapter.all<{ action: string; detail: string }>("SELECT action, detail FROM mfmig_audit WHERE action = 'repeatable-failed'");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatch(/^a_broken: .*no_such_table/);
    expect(migrator.status().pendingRepeatables.map((r) => r.name)).toEqual(['a_broken', 'order_totals']);
  });

  it('rollback never runs them', async () => {
    const { dir, adapter, migratorWith } = await setup();
    const migrator = migratorWith([repeatable(dir, 'item_names', ITEM_NAMES)]);
    expect((await migrator.migrate({ version: 1 })).repeatables?.map((r) => r.status)).toEqual(['Success']);
    await migrator.migrate();
    const edited = migratorWith([repeatable(dir, 'item_names', ITEM_NAMES.replace('SELECT name', 'SELECT id, name'))]);
    const down = await edited.rollback({ version: 1 });
    expect(down.error).toBeUndefined();
    expect(down.repeatables).toBeUndefined();
    expect(adapter.all('SELECT * FROM item_names')).toEqual([]);
    expect(adapter.all("SELECT name FROM pragma_table_info('item_names')")).toEqual([{ name: 'name' }]);
  });
});
