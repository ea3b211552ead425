import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** Every relation and schema of the database: what a read-only command must leave as it was. */
const catalog = (url: string) =>
  rows(
    url,
    `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
  );

const statuses = (health: { checks: Record<string, { status: string }> }) => Object.fromEntries(Object.entries(health.checks).map(([k, v]) => [k, v.status]));

describe('mfmig health on PostgreSQL', () => {
  it('is healthy after a migrate and a backup, degraded by drift, unhealthy with orphan rows; it changes nothing', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_teams.sql': sqlMigration('CREATE TABLE teams (id integer PRIMARY KEY);', 'DROP TABLE teams;'),
      'mvp1/0002_people.sql': sqlMigration(
        'CREATE TABLE people (id integer PRIMARY KEY, team_id integer REFERENCES teams (id));\nCREATE INDEX people_team ON people (team_id);',
        'DROP TABLE people;',
      ),
    });
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    expect(cli('backup').code).toBe(0);
    const before = await catalog(url);
    const healthy = cli('health');
    expect([healthy.code, healthy.json.status, healthy.json.currentVersion]).toEqual([0, 'healthy', 2]);
    expect(await catalog(url)).toEqual(before);

    await rows(url, 'ALTER TABLE people ADD COLUMN nickname text');
    const drifted = cli('health');
    expect([drifted.code, drifted.json.status, drifted.json.checks.drift.status, drifted.json.checks.drift.changes]).toEqual([0, 'degraded', 'warning', 1]);

    await withClient(url, async (c) => {
      await c.query('SET session_replication_role = replica');
      await c.query('INSERT INTO people (id, team_id) VALUES (1, 99)');
    });
    const orphaned = cli('health');
    expect([orphaned.code, orphaned.json.status]).toEqual([1, 'unhealthy']);
    expect(statuses(orphaned.json)).toMatchObject({ database: 'ok', integrity: 'error', lock: 'ok', pendingMigrations: 'ok', checksums: 'ok' });
  });

  it('never imports a migration module: a data-only one replays as a no-op, one that changed the schema leaves drift not checked', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const marker = join(dir, 'imported');
    // importing the module leaves a file behind: health must not
    const touch = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\n`;
    writeMigrations(dir, {
      'mvp1/0001_teams.sql': sqlMigration("CREATE TABLE teams (id integer PRIMARY KEY, name text);\nINSERT INTO teams VALUES (1, 'a');"),
      'mvp1/0002_shout.ts': `${touch}export async function up(db) { await db.updateTable('teams').set({ name: 'A' }).execute(); }`,
    });
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    rmSync(marker);
    await rows(url, 'ALTER TABLE teams ADD COLUMN nickname text');
    const dataOnly = cli('health');
    expect([dataOnly.code, existsSync(marker), dataOnly.json.checks.drift.status, dataOnly.json.checks.drift.changes]).toEqual([0, false, 'warning', 1]);

    writeMigrations(dir, {
      'mvp2/0003_pin.ts': `${touch}export async function up(db) { await db.schema.alterTable('teams').addColumn('pinned', 'boolean').execute(); }`,
    });
    expect(cli('migrate').code).toBe(0);
    rmSync(marker);
    const schemaModule = cli('health');
    expect([schemaModule.code, existsSync(marker), schemaModule.json.checks.drift.status]).toEqual([0, false, 'warning']);
    expect([schemaModule.json.checks.drift.changes, schemaModule.json.checks.drift.detail]).toEqual([0, expect.stringContaining('0003_pin')]);
  });

  it('says a migration is pending, and reads an empty database without creating anything', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_teams.sql': sqlMigration('CREATE TABLE teams (id integer PRIMARY KEY);') });
    const before = await catalog(url);
    const health = mfmig(dir, ['--db', url, '--json', 'health']);
    expect([health.code, health.json.status, health.json.checks.pendingMigrations.count]).toEqual([0, 'degraded', 1]);
    expect(await catalog(url)).toEqual(before);
  });
});
