import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type MigrationFramework, createMigrationFramework, findUnadoptedTables, isMfmigError } from '@mfmig/framework';
import { tempDir } from './helpers.js';

const UP: Record<string, string> = {
  'mvp1/0001_create_items.sql': 'DROP TABLE IF EXISTS items;\nCREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);',
  'mvp1/0002_create_orders.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id), qty INTEGER NOT NULL);',
  'mvp2/0003_items_price.sql': 'ALTER TABLE items ADD COLUMN price REAL;',
};

function writeFolder(dir: string): string {
  const root = join(dir, 'migrations');
  for (const [file, up] of Object.entries(UP)) {
    mkdirSync(join(root, file.split('/')[0]!), { recursive: true });
    writeFileSync(join(root, file), `-- migrate:up\n${up}\n-- migrate:down\n`);
  }
  return root;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A database an application built itself from the first two migrations, with rows, never touched by mfmig. */
function existingDatabase(path: string): void {
  const db = new Database(path);
  db.exec(`${UP['mvp1/0001_create_items.sql']}\n${UP['mvp1/0002_create_orders.sql']}`);
  db.exec("INSERT INTO items (name) VALUES ('bolt'), ('nut'); INSERT INTO orders (item_id, qty) VALUES (1, 10), (2, 5);");
  db.close();
}

describe('MigrationService.baseline and the adoption check', () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  it('migrateTo refuses an unadopted database without writing; baseline adopts it; migrateTo then applies only what is newer', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    existingDatabase(path);
    const before = sha(path);
    framework = createMigrationFramework({ database: path, migrationsPath: writeFolder(dir), backupPath: join(dir, 'backups') });
    const service = framework.migrationService;

    expect(await findUnadoptedTables(framework.context)).toEqual(['items', 'orders']);
    for (const attempt of [
      () => service.migrateTo({ latest: true }),
      () => service.executeMVPMigration(2),
      () => service.migrateTo({ latest: true }, { dryRun: true }),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMfmigError(error) && error.code).toBe('ADOPTION_REQUIRED');
      expect(sha(path)).toBe(before);
    }

    expect(await service.analyzeBaseline()).toMatchObject({ match: 'exact', version: 2, candidates: [2], differences: [] });
    expect(await service.baseline({ dryRun: true })).toMatchObject({ version: 2, matched: 'exact', dryRun: true, recorded: [] });
    expect(sha(path)).toBe(before);

    const adopted = await service.baseline();
    expect(adopted).toMatchObject({ version: 2, matched: 'exact', candidates: [2], recorded: [1, 2], source: 'baseline' });
    expect((await service.status()).currentVersion).toBe(2);
    expect(await findUnadoptedTables(framework.context)).toEqual([]);
    expect((await framework.schemaEvolution.detectDrift()).hasDrift).toBe(false);

    const result = await service.migrateTo({ latest: true });
    expect(result.migrations.map((m) => m.version)).toEqual([3]);
    expect(framework.context.adapter.all('SELECT id, name, price FROM items ORDER BY id')).toEqual([
      { id: 1, name: 'bolt', price: null },
      { id: 2, name: 'nut', price: null },
    ]);
    expect(framework.context.adapter.all('SELECT item_id, qty FROM orders ORDER BY id')).toEqual([
      { item_id: 1, qty: 10 },
      { item_id: 2, qty: 5 },
    ]);

    const again = await service.baseline().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMfmigError(again) && again.code).toBe('ADOPTION_REFUSED');
  });

  it('does not refuse a database whose tables no migration creates', async () => {
    const dir = tempDir();
    const path = join(dir, 'other.db');
    const db = new Database(path);
    db.exec("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT); INSERT INTO settings VALUES ('theme', 'dark');");
    db.close();
    framework = createMigrationFramework({ database: path, migrationsPath: writeFolder(dir), backupPath: join(dir, 'backups') });
    expect(await findUnadoptedTables(framework.context)).toEqual([]);
    expect((await framework.migrationService.migrateTo({ latest: true })).toVersion).toBe(3);
    expect(framework.context.adapter.all('SELECT * FROM settings')).toEqual([{ key: 'theme', value: 'dark' }]);
  });

  it('refuses force without a stated version, and a forced adoption records the differences', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    existingDatabase(path);
    new Database(path).exec('CREATE INDEX items_name ON items (name)').close();
    framework = createMigrationFramework({ database: path, migrationsPath: writeFolder(dir), backupPath: join(dir, 'backups') });
    const service = framework.migrationService;
    const before = sha(path);
    const codes = [];
    for (const options of [{ force: true }, {}, { to: 2 }]) {
      codes.push(
        await service.baseline(options).then(
          () => 'adopted',
          (e: unknown) => (isMfmigError(e) ? e.code : String(e)),
        ),
      );
    }
    expect(codes).toEqual(['USAGE', 'ADOPTION_REFUSED', 'ADOPTION_REFUSED']);
    expect(sha(path)).toBe(before);
    const forced = await service.baseline({ to: 2, force: true });
    expect(forced).toMatchObject({ version: 2, matched: 'forced', candidates: [] });
    expect(forced.differences.map((c) => c.kind)).toEqual(['index-added']);
    expect(framework.context.adapter.all('SELECT action, version FROM mfmig_audit')).toEqual([{ action: 'baseline', version: 2 }]);
  });
});
