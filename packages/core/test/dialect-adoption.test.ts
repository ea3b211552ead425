// DialectMigrator over databases that existed before mfmig: with no migration history, an up run
// that would apply version 1 over tables the migrations create is refused before anything is
// written, on SQLite and on PostgreSQL, through the API alone (no CLI or framework in front).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type MigrationSet,
  DialectMigrator,
  Migrator,
  SCRATCH_TRANSFORMATIONS,
  SqliteConnection,
  isMfmigError,
  loadMigrations,
  openDatabase,
  openPostgres,
} from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir, tempTree, withClient } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const KB_MIGRATIONS = resolve(import.meta.dirname, '../../../migrations');

/** Migrations written as many projects write them: `IF NOT EXISTS`, so version 1 "succeeds" over an existing table. */
const IDEMPOTENT = {
  'mvp1/0001_notes.sql': `-- migrate:up
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0);
-- migrate:down
DROP TABLE notes;
`,
  'mvp1/0002_purge_archived.sql': `-- migrate:up
DELETE FROM notes WHERE archived = 1;
-- migrate:down
SELECT 1;
`,
};

/** A database an application made and filled before it used mfmig: `notes` (which the migrations create) and `sessions` (which they do not). */
function appDatabase(): string {
  const file = join(tempDir(), 'app.db');
  const app = openDatabase(file, { create: true });
  app.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE sessions (id TEXT PRIMARY KEY);
    INSERT INTO notes (body, archived) VALUES ('kept', 0), ('archived but wanted', 1);
    INSERT INTO sessions VALUES ('s1');`);
  app.close();
  return file;
}

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function sqliteMigrator(file: string, migrations: MigrationSet, allowUnadopted?: boolean) {
  const connection = new SqliteConnection(openDatabase(file));
  return new DialectMigrator({ connection, migrations, participants: [SCRATCH_TRANSFORMATIONS], allowUnadopted });
}

describe('DialectMigrator over a SQLite database made before mfmig', () => {
  it('refuses to migrate it, dry run or not, leaving the file byte for byte as it was, while a database it migrated before goes on', async () => {
    const migrations = await loadMigrations(tempTree(IDEMPOTENT));
    const legacy = appDatabase();
    const before = digest(legacy);
    // a second database beside it, migrated by mfmig from the start
    const ours = join(tempDir(), 'ours.db');
    openDatabase(ours, { create: true }).close();
    const first = sqliteMigrator(ours, migrations);
    expect((await first.migrate({ version: 1 })).error).toBeUndefined();
    await first.connection.execute("INSERT INTO notes (body, archived) VALUES ('draft', 0), ('old', 1)");
    await first.connection.close();

    for (const dryRun of [true, false]) {
      const migrator = sqliteMigrator(legacy, migrations);
      const result = await migrator.migrate({ latest: true }, { dryRun });
      await migrator.connection.close();
      expect(isMfmigError(result.error) && result.error.code).toBe('ADOPTION_REQUIRED');
      expect(result.error?.message).toContain('notes');
      expect(result.error?.message).not.toContain('sessions');
      expect(result.results).toEqual([]);
      expect(digest(legacy)).toBe(before);
    }

    const again = sqliteMigrator(ours, migrations);
    const run = await again.migrate();
    expect(run.error).toBeUndefined();
    expect(await again.connection.query('SELECT body FROM notes ORDER BY id')).toEqual([{ body: 'draft' }]);
    await again.connection.close();
  });

  it('names what the migrations create from a rehearsal of them all, module migrations and declared transformations included', async () => {
    // the knowledge base at MVP2 (version 5 is a TypeScript migration with transformations), its history then lost
    const migrations = await loadMigrations(KB_MIGRATIONS);
    const file = join(tempDir(), 'kb.db');
    openDatabase(file, { create: true }).close();
    const setup = sqliteMigrator(file, migrations);
    expect((await setup.migrate({ version: 5 })).error).toBeUndefined();
    await setup.connection.execute(
      "INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at) VALUES ('S0C7', 'data exception', 'fix the packed field', 'COBOL', '2026-01-01', '2026-01-01')",
    );
    for (const { name } of await setup.connection.query<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'mfmig%'")) {
      await setup.connection.execute(`DROP TABLE ${name}`);
    }
    await setup.connection.execute('CREATE TABLE app_cache (k TEXT PRIMARY KEY)');
    await setup.connection.close();
    const before = digest(file);

    const migrator = sqliteMigrator(file, migrations);
    const found = await migrator.findUnadoptedTables();
    expect(found.unknownBecause).toBeNull();
    expect(found.tables).toContain('kb_entries');
    expect(found.tables).toContain('incidents');
    expect(found.tables).not.toContain('app_cache');
    const result = await migrator.migrate();
    await migrator.connection.close();
    expect(isMfmigError(result.error) && result.error.code).toBe('ADOPTION_REQUIRED');
    expect(digest(file)).toBe(before);
  });

  it('migrates one that holds only tables no migration creates, rehearsing once when assertAdopted ran first', async () => {
    const file = join(tempDir(), 'app.db');
    const app = openDatabase(file, { create: true });
    app.exec("CREATE TABLE sessions (id TEXT PRIMARY KEY); INSERT INTO sessions VALUES ('s1')");
    app.close();
    const migrator = sqliteMigrator(file, await loadMigrations(tempTree(IDEMPOTENT)));
    const opened = vi.spyOn(migrator.connection, 'openScratch');
    await migrator.assertAdopted();
    const result = await migrator.migrate();
    expect(result.error).toBeUndefined();
    expect(opened).toHaveBeenCalledTimes(1);
    expect(await migrator.connection.query('SELECT id FROM sessions')).toEqual([{ id: 's1' }]);
    expect((await migrator.status()).currentVersion).toBe(2);
    await migrator.connection.close();
  });

  it('names every table when the migrations cannot be rehearsed from nothing, and runs with allowUnadopted', async () => {
    // version 1 alters a table the application made: an empty scratch database has no such table
    const migrations = await loadMigrations(tempTree({ 'mvp1/0001_note_column.sql': '-- migrate:up\nALTER TABLE legacy ADD COLUMN note TEXT;\n' }));
    const file = join(tempDir(), 'legacy.db');
    const app = openDatabase(file, { create: true });
    app.exec('CREATE TABLE legacy (id INTEGER PRIMARY KEY); INSERT INTO legacy VALUES (1), (2)');
    app.close();
    const before = digest(file);

    const refused = sqliteMigrator(file, migrations);
    const found = await refused.findUnadoptedTables();
    expect(found.tables).toEqual(['legacy']);
    expect(found.unknownBecause).toMatch(/legacy/);
    const result = await refused.migrate();
    await refused.connection.close();
    expect(isMfmigError(result.error) && result.error.code).toBe('ADOPTION_REQUIRED');
    expect(digest(file)).toBe(before);

    const allowed = sqliteMigrator(file, migrations, true);
    expect((await allowed.migrate()).error).toBeUndefined();
    expect(await allowed.connection.query('SELECT id, note FROM legacy ORDER BY id')).toEqual([
      { id: 1, note: null },
      { id: 2, note: null },
    ]);
    await allowed.connection.close();
  });
});

describe('Migrator over a SQLite database made before mfmig', () => {
  it('refuses to migrate it as DialectMigrator does, and migrates it with allowUnadopted', async () => {
    const migrations = await loadMigrations(tempTree(IDEMPOTENT));
    const file = appDatabase();
    const before = digest(file);
    const adapter = openDatabase(file);
    const result = await new Migrator({ adapter, migrations }).migrate();
    expect(isMfmigError(result.error) && result.error.code).toBe('ADOPTION_REQUIRED');
    expect(result.error?.message).toContain('notes');
    adapter.close();
    expect(digest(file)).toBe(before);

    const allowed = openDatabase(file);
    expect((await new Migrator({ adapter: allowed, migrations, allowUnadopted: true }).migrate()).error).toBeUndefined();
    // what the refusal kept from happening: version 2, meant for rows version 1 made, ran over the application's
    expect(allowed.all('SELECT body FROM notes ORDER BY id')).toEqual([{ body: 'kept' }]);
    allowed.close();
  });
});

describe('DialectMigrator over a PostgreSQL schema made before mfmig', () => {
  it('refuses to migrate it through the API alone, leaving its tables, rows and the database as they were', async () => {
    const url = await scratchDatabase();
    await withClient(url, async (c) => {
      await c.query('CREATE SCHEMA "Legacy App"');
      await c.query('CREATE TABLE "Legacy App".notes (id int PRIMARY KEY, body text NOT NULL, archived int NOT NULL DEFAULT 0)');
      await c.query(`INSERT INTO "Legacy App".notes VALUES (1, 'kept', 0), (2, 'archived but wanted', 1)`);
    });
    const schemas = () => withClient(url, async (c) => (await c.query<{ n: string }>('SELECT nspname AS n FROM pg_namespace ORDER BY 1')).rows.map((r) => r.n));
    const tables = () =>
      withClient(url, async (c) =>
        (await c.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'Legacy App' ORDER BY 1")).rows.map(
          (r) => r.t,
        ),
      );
    const schemasBefore = await schemas();
    const migrations = await loadMigrations(tempTree(IDEMPOTENT), { dialect: 'postgres' });

    const connection = await openPostgres(url, { schema: 'Legacy App' });
    try {
      const migrator = new DialectMigrator({ connection, migrations });
      for (const dryRun of [true, false]) {
        const result = await migrator.migrate({ latest: true }, { dryRun });
        expect(isMfmigError(result.error) && result.error.code).toBe('ADOPTION_REQUIRED');
        expect(result.error?.message).toContain('notes');
      }
    } finally {
      await connection.close();
    }
    expect(await tables()).toEqual(['notes']);
    expect(await schemas()).toEqual(schemasBefore);
    const rows = await withClient(url, async (c) => (await c.query('SELECT id, body FROM "Legacy App".notes ORDER BY id')).rows);
    expect(rows).toEqual([
      { id: 1, body: 'kept' },
      { id: 2, body: 'archived but wanted' },
    ]);
  });
});
