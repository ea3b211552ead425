import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MfmigError, Migrator, loadMigrations, openDatabase } from '@mfmig/core';

async function setup(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mfmig-core-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'migrations', path)), { recursive: true });
    writeFileSync(join(dir, 'migrations', path), text);
  }
  const adapter = openDatabase(join(dir, 'kb.db'), { create: true });
  const migrator = new Migrator({ adapter, migrations: await loadMigrations(join(dir, 'migrations')) });
  return { adapter, migrator };
}

const parentChild = {
  'mvp1/0001_parent.sql': `-- migrate:up
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'p');
INSERT INTO child VALUES (1, 1), (2, 1);
-- migrate:down
DROP TABLE child;
DROP TABLE parent;`,
};

describe('Migrator', () => {
  it('applies and reverts module migrations that use Kysely, and emits events', async () => {
    const { adapter, migrator } = await setup({
      'mvp1/0001_items.ts': `export const meta = { description: 'items' };
export async function up(db) {
  await db.schema.createTable('items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
  await db.insertInto('items').values([{ name: 'x' }, { name: 'y' }]).execute();
}
export async function down(db) { await db.schema.dropTable('items').execute(); }`,
    });
    const seen: string[] = [];
    migrator.events.on('*', (name) => seen.push(name));
    const up = await migrator.migrate();
    expect(up.error).toBeUndefined();
    expect(up.results[0]?.statements.some((s) => s.startsWith('create table "items"'))).toBe(true);
    expect(adapter.rowCount('items')).toBe(2);
    expect(seen).toEqual(expect.arrayContaining(['runStarted', 'migrationStarted', 'migrationStepCompleted', 'progressUpdated', 'runCompleted']));
    expect(migrator.getCurrentProgress()).toMatchObject({ status: 'completed', currentStep: 1, totalSteps: 1 });
    const down = await migrator.rollback({ version: 0 });
    expect(down.error).toBeUndefined();
    expect(adapter.tableExists('items')).toBe(false);
    expect(migrator.status().currentVersion).toBe(0);
  });

  it('runs a foreign-keys-off migration without cascading, and refuses one that leaves violations', async () => {
    const { adapter, migrator } = await setup({
      ...parentChild,
      'mvp1/0002_rebuild_parent.sql': `-- foreign-keys: off
-- migrate:up
CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO parent_new SELECT id, coalesce(name, '') FROM parent;
DROP TABLE parent;
ALTER TABLE parent_new RENAME TO parent;
-- migrate:down
SELECT 1;`,
      'mvp1/0003_orphan.sql': `-- foreign-keys: off
-- migrate:up
INSERT INTO child VALUES (3, 999);
-- migrate:down
DELETE FROM child WHERE id = 3;`,
    });
    const r = await migrator.migrate({ version: 2 });
    expect(r.error).toBeUndefined();
    expect(adapter.rowCount('child')).toBe(2);
    expect(adapter.foreignKeysEnabled()).toBe(true);
    const bad = await migrator.migrate();
    expect((bad.error as MfmigError).context.check).toBe('foreign-key-violation');
    expect(adapter.rowCount('child')).toBe(2);
    expect(migrator.status().currentVersion).toBe(2);
  });

  it('detects a module migration that tampers with the history', async () => {
    const { migrator } = await setup({
      ...parentChild,
      // ctx.raw would refuse the statement before it runs (MIGRATION_FORBIDDEN); the adapter's own handle gets past that check
      'mvp1/0002_tamper.js': `export function up(db, ctx) { ctx.adapter.raw.exec("UPDATE mfmig_history SET checksum = 'x'"); }
export function down() {}`,
    });
    const r = await migrator.migrate();
    expect(r.error).toMatchObject({ code: 'HISTORY_TAMPERED' });
    expect(migrator.status()).toMatchObject({ currentVersion: 1, problems: [{ code: 'MIGRATION_FAILED', version: 2, severity: 'warning' }] });
  });

  it('refuses to revert a migration without a down', async () => {
    const { migrator } = await setup({ 'mvp1/0001_a.sql': '-- migrate:up\nCREATE TABLE a (x);\n' });
    await migrator.migrate();
    const r = await migrator.rollback({ version: 0 });
    expect(r.error).toMatchObject({ code: 'NO_DOWN_MIGRATION' });
    expect(migrator.status().currentVersion).toBe(1);
  });

  it('stops at the next migration when the signal is aborted', async () => {
    const { migrator } = await setup({
      'mvp1/0001_a.sql': '-- migrate:up\nCREATE TABLE a (x);\n',
      'mvp1/0002_b.sql': '-- migrate:up\nCREATE TABLE b (x);\n',
    });
    const controller = new AbortController();
    migrator.events.on('migrationCompleted', () => controller.abort());
    const r = await migrator.migrate({ latest: true }, { signal: controller.signal });
    expect(r.error).toMatchObject({ code: 'INTERRUPTED' });
    expect(migrator.status().currentVersion).toBe(1);
    expect(migrator.getCurrentProgress()?.status).toBe('interrupted');
  });
});
