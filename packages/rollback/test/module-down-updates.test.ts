import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase, sqliteConnectionOf } from '@mfmig/core';
import { RollbackManager, listArchives } from '@mfmig/rollback';
import { tableDigest, tempDir } from './helpers.js';

const CREATE = `-- migrate:up
CREATE TABLE tickets (id INTEGER PRIMARY KEY, status TEXT NOT NULL, note TEXT);
INSERT INTO tickets (status, note) VALUES ('open', 'a'), ('open', 'b'), ('open', 'c'), ('open', 'd'), ('open', 'e'), ('open', 'f');
-- migrate:down
DROP TABLE tickets;
`;

// The down writes through the Kysely instance only: no SQL text the planner or the probe could read beforehand.
const STATUSES = `export const meta = { description: 'Allow the parked status' };
export async function up(db) {
  await db.schema.createIndex('tickets_status').on('tickets').column('status').execute();
}
export async function down(db) {
  await db.updateTable('tickets').set({ status: 'open' }).where('status', '=', 'parked').execute();
  await db.schema.dropIndex('tickets_status').execute();
}
`;

let manager: RollbackManager | undefined;
afterEach(() => manager?.close());

describe('preservation of rows a module down changes', () => {
  it('archives the rows a Kysely UPDATE in a down overwrites, and puts them back going up', async () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(join(migrations, 'mvp1'), { recursive: true });
    mkdirSync(join(migrations, 'mvp2'), { recursive: true });
    writeFileSync(join(migrations, 'mvp1', '0001_create_tickets.sql'), CREATE);
    writeFileSync(join(migrations, 'mvp2', '0002_parked_status.js'), STATUSES);
    const dbPath = join(dir, 'tickets.db');
    const adapter = openDatabase(dbPath, { create: true });
    const up = await new Migrator({ adapter, migrations: await loadMigrations(migrations) }).migrate({ version: 2 });
    expect(up.error).toBeUndefined();
    adapter.raw.exec(`UPDATE tickets SET status = 'parked', note = 'waiting on "vendor"' WHERE id IN (2, 4, 5)`);
    const before = tableDigest(adapter.raw, 'tickets', ['id']);
    adapter.close();

    manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    const result = await manager.rollbackTo(1, { preserveUserData: true });
    expect(result.error).toBeUndefined();
    const changed = result.preserved.find((p) => p.kind === 'rows' && p.table === 'tickets');
    expect(changed?.rows).toBe(3);
    expect(manager.database.prepare("SELECT count(*) FROM tickets WHERE status = 'parked'").pluck().get()).toBe(0);
    expect(await listArchives(sqliteConnectionOf(manager.database), 'archived')).toHaveLength(1);

    const again = await (await manager.context.migrator()).migrate({ version: 2 });
    expect(again.error).toBeUndefined();
    const after = new Database(dbPath, { readonly: true });
    expect(tableDigest(after, 'tickets', ['id'])).toEqual(before);
    after.close();
  });
});
