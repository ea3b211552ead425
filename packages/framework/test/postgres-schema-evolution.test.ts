// `framework.schemaEvolution` on a PostgreSQL schema: the SQLite service's calls (snapshot,
// snapshotAt, history, diff, checkCompatibility, detectDrift) from the catalogs and rehearsals.
// Every test runs against the live server, in a scratch database of its own.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MigrationUtils } from '@mfmig/framework';
import { NOTES_MIGRATIONS, dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, tempDir } from './helpers.js';
import { codeOf, framework, notesFolder, rows, seed, sqlFolder } from './postgres-framework-helpers.js';

afterAll(dropScratchDatabases);

/** The schemas of the database and the tables of `schema` with their row counts: what a read-only call must leave as it found it. */
async function contents(url: string, schema: string): Promise<unknown> {
  const schemas = await rows(url, "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1");
  const tables = await rows(url, `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`);
  const counts = [];
  for (const t of tables) counts.push((await rows(url, `SELECT count(*)::int AS n FROM "${schema}"."${String(t.table_name)}"`))[0]!.n);
  return { schemas, tables, counts };
}

describe('createPostgresFramework: schemaEvolution', () => {
  it('on the knowledge base at MVP3: the live schema is what the migrations build, and hand edits show as drift and as breaking', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb', REAL_MIGRATIONS, tempDir());
    try {
      await fw.migrationService.executeMVPMigration(1);
      await seed(url, 'kb', 50);
      await fw.migrationService.executeMVPMigration(3);
      const status = await fw.migrationService.status();
      const before = await contents(url, 'kb');

      const history = await fw.schemaEvolution.history();
      expect(history.map((h) => h.version)).toEqual(status.applied.map((a) => a.version));
      expect(history.some((h) => h.hasSnapshot)).toBe(false);
      // the run's last row carries the catalog fingerprint drift checks compare with
      expect(history.at(-1)!.schemaHash).toMatch(/^2:[0-9a-f]{16}$/);

      // the rehearsed schema of the current version equals the live one, whatever schema each lives in
      const live = await fw.schemaEvolution.snapshot();
      const rehearsed = await fw.schemaEvolution.snapshotAt(status.currentVersion);
      expect(rehearsed.hash).toBe(live.hash);
      expect(rehearsed.tables.map((t) => t.name)).toEqual(live.tables.map((t) => t.name));

      const drift = await fw.schemaEvolution.detectDrift();
      expect(drift).toMatchObject({ hasDrift: false, version: status.currentVersion, expected: { source: 'replay', hash: live.hash }, actualHash: live.hash });

      const fromEmpty = await fw.schemaEvolution.diff(0);
      expect([...fromEmpty.tables.added].sort()).toEqual(live.tables.map((t) => t.name).sort());

      // the MVP2 application still runs on MVP3; the MVP3 application does not run on MVP2
      const mvp2 = status.applied.filter((a) => a.mvp <= 2).at(-1)!.version;
      expect(await fw.schemaEvolution.checkCompatibility({ mvp: 2 })).toMatchObject({ compatible: true, target: { version: 'live' } });
      const backwards = await fw.schemaEvolution.checkCompatibility({ mvp: 3, against: mvp2 });
      expect(backwards.compatible).toBe(false);
      expect(backwards.breaking.some((c) => c.kind === 'table-removed')).toBe(true);
      expect(await contents(url, 'kb')).toEqual(before);

      // hand edits: a table nobody's migration makes, a column dropped from incidents
      const [dropped] = await rows(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'kb' AND table_name = 'incidents' AND is_nullable = 'YES' ORDER BY ordinal_position DESC LIMIT 1",
      );
      await withClient(url, (c) => c.query(`CREATE TABLE kb.hand_made (id int); ALTER TABLE kb.incidents DROP COLUMN "${String(dropped!.column_name)}"`));
      const drifted = await fw.schemaEvolution.detectDrift();
      expect(drifted.hasDrift).toBe(true);
      expect(drifted.changes.map((c) => [c.kind, c.object])).toEqual(
        expect.arrayContaining([
          ['table-added', 'hand_made'],
          ['column-removed', 'incidents'],
        ]),
      );
      expect(drifted.summary.length).toBe(drifted.changes.length);
      const broken = await fw.schemaEvolution.checkCompatibility({ mvp: 3 });
      expect(broken.compatible).toBe(false);
      expect(broken.breaking.map((c) => c.object)).toContain('incidents');
    } finally {
      await fw.close();
    }
  });

  it('two schemas side by side, migrated from a folder another project wrote: drift in one is not seen in the other', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = notesFolder(dir);
    const [a, b] = [framework(url, 'app_a', folder, dir), framework(url, 'app_b', folder, dir)];
    try {
      await a.migrationService.migrateTo({ latest: true });
      await b.migrationService.migrateTo({ latest: true });
      await withClient(url, (c) => c.query('ALTER TABLE app_a.notes ADD COLUMN color text'));
      expect((await a.schemaEvolution.detectDrift()).changes.map((c) => [c.kind, c.object])).toEqual([['column-added', 'notes']]);
      expect((await b.schemaEvolution.detectDrift()).hasDrift).toBe(false);
      // a nullable column added by hand is compatible with the application of the last milestone
      expect((await a.schemaEvolution.checkCompatibility({ mvp: 2 })).compatible).toBe(true);
      const diff = await a.schemaEvolution.diff(await b.schemaEvolution.snapshot(), 'live');
      expect(diff.changes.map((c) => [c.kind, c.object])).toEqual([['column-added', 'notes']]);
      expect((await b.schemaEvolution.diff(Number(NOTES_MIGRATIONS[1].version), 'live')).tables.changed).toEqual(['notes']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('compares the functions, triggers and CHECKs beside the tables: a function redefined by hand breaks the application of the milestone', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const files = {
      'mvp1/0001_notes.sql': { up: 'CREATE TABLE notes (id integer PRIMARY KEY, title text NOT NULL CHECK (length(title) > 0), edited_at timestamptz);' },
      'mvp1/0002_note_helpers.sql': {
        up: `CREATE FUNCTION note_count() RETURNS integer LANGUAGE sql AS $$ SELECT count(*)::integer FROM notes $$;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.edited_at := now(); RETURN NEW; END $$;
CREATE TRIGGER notes_stamp BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION stamp();`,
      },
    };
    const fw = framework(url, 'app', sqlFolder(dir, files), dir);
    try {
      await fw.migrationService.migrateTo({ latest: true });
      expect((await fw.schemaEvolution.detectDrift()).hasDrift).toBe(false);
      const grew = await fw.schemaEvolution.diff(1, 2);
      expect([grew.functions.added, grew.triggers.added, grew.breaking]).toEqual([['note_count()', 'stamp()'], ['notes_stamp on notes'], []]);
      const before = await contents(url, 'app');

      await withClient(url, (c) =>
        c.query(`SET search_path TO app;
          DROP FUNCTION note_count();
          CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM notes $$;
          ALTER TABLE notes ADD CONSTRAINT notes_title_short CHECK (length(title) < 200);`),
      );
      const drifted = await fw.schemaEvolution.detectDrift();
      expect(drifted.changes.map((c) => [c.kind, c.object, c.compatibility])).toEqual([
        ['check-added', 'notes', 'breaking'],
        ['function-changed', 'note_count()', 'breaking'],
      ]);
      expect(drifted.changes[1]!.reason).toBe('returns bigint instead of integer');
      const compatibility = await fw.schemaEvolution.checkCompatibility({ mvp: 1 });
      expect([compatibility.compatible, compatibility.breaking.map((c) => c.kind)]).toEqual([false, ['check-added', 'function-changed']]);
      expect(await contents(url, 'app')).toEqual(before);
    } finally {
      await fw.close();
    }
  });

  it('a migration merged out of order below the current version is pending, not drift', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const files = {
      'mvp1/0001_notes.sql': { up: 'CREATE TABLE notes (id integer PRIMARY KEY, title text NOT NULL);' },
      'mvp1/0003_notes_pinned.sql': { up: 'ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false;' },
    };
    const fw = framework(url, 'app', sqlFolder(dir, files), dir);
    try {
      await fw.migrationService.migrateTo({ latest: true });
      // a teammate's branch brings version 2, older than what is applied
      sqlFolder(dir, { ...files, 'mvp1/0002_tags.sql': { up: 'CREATE TABLE tags (id integer PRIMARY KEY, name text);' } });
      expect((await fw.migrationService.status()).pending.map((m) => m.version)).toEqual([2]);
      expect(await fw.schemaEvolution.detectDrift()).toMatchObject({ hasDrift: false, version: 3, changes: [] });
      const health = await MigrationUtils.healthCheck(fw);
      expect(health.checks.drift.status).toBe('ok');
      // a real hand edit is still found
      await withClient(url, (c) => c.query('ALTER TABLE app.notes DROP COLUMN pinned'));
      expect((await fw.schemaEvolution.detectDrift()).changes.map((c) => [c.kind, c.object])).toEqual([['column-removed', 'notes']]);
    } finally {
      await fw.close();
    }
  });

  it('refuses bad input with a clear error and leaves the schema and its history as they were', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const fw = framework(url, 'notes', notesFolder(dir), dir);
    await fw.migrationService.migrateTo({ latest: true });
    const before = [await contents(url, 'notes'), await rows(url, 'SELECT version, checksum FROM notes.mfmig_history ORDER BY version')];
    // a folder that lost the last applied migration
    const partial = sqlFolder(join(dir, 'partial'), { 'mvp1/20240101120000_create_notes.sql': { up: NOTES_MIGRATIONS[0].up } });
    const lost = framework(url, 'notes', partial, dir);
    try {
      expect(await codeOf(() => fw.schemaEvolution.snapshotAt(999))).toBe('TARGET_UNKNOWN');
      expect(await codeOf(() => fw.schemaEvolution.diff(-1, 'live'))).toBe('TARGET_UNKNOWN');
      expect(await codeOf(() => fw.schemaEvolution.checkCompatibility({}))).toBe('USAGE');
      expect(await codeOf(() => fw.schemaEvolution.checkCompatibility({ mvp: 9 }))).toBe('TARGET_UNKNOWN');
      expect(await codeOf(() => lost.schemaEvolution.detectDrift())).toBe('MIGRATION_MISSING');
      expect([await contents(url, 'notes'), await rows(url, 'SELECT version, checksum FROM notes.mfmig_history ORDER BY version')]).toEqual(before);
    } finally {
      await fw.close();
      await lost.close();
    }
  });
});
