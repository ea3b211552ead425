// createConnectionSchemaHistory: schema history as a DialectMigrator participant. On SQLite it
// stores, version by version, the same snapshots the Migrator's plugin stores for the same folder
// (migrations written the way other projects write them: a hand-written rebuild, a repeatable
// view), leaves none of a version that failed, and on PostgreSQL it records nothing.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type MigrationSet, Migrator, SqliteConnection, loadMigrations, openDatabase, openPostgres } from '@mfmig/core';
import { createConnectionSchemaHistory, createSchemaHistoryPlugin, introspectSchema, listSnapshots, loadSnapshot } from '@mfmig/schema-evolution';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { entryTitlesRepeatable, migrationsFolder, sqlMigration, tempDir } from './helpers.js';

afterAll(dropScratchDatabases);

const VIEW = 'DROP VIEW IF EXISTS entry_titles;\nCREATE VIEW entry_titles AS SELECT id, title FROM kb_entries;';

/** The real MVP1 files, then a drizzle-style rebuild, an index, and a repeatable view. */
async function folder(third = 'CREATE INDEX kb_entries_category_title ON kb_entries (category, title);'): Promise<MigrationSet> {
  const root = migrationsFolder(
    {
      mvp2: {
        '0010_notes_rebuild.sql': sqlMigration(
          `CREATE TABLE entry_notes (id INTEGER PRIMARY KEY, entry_id TEXT NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE, body TEXT);
CREATE TABLE __new_entry_notes (id INTEGER PRIMARY KEY, entry_id TEXT NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE, body TEXT NOT NULL DEFAULT '');
INSERT INTO __new_entry_notes (id, entry_id, body) SELECT id, entry_id, coalesce(body, '') FROM entry_notes;
DROP TABLE entry_notes;
ALTER TABLE __new_entry_notes RENAME TO entry_notes;`,
          'DROP TABLE entry_notes;',
        ),
        '0011_category_title.sql': sqlMigration(third, 'DROP INDEX IF EXISTS kb_entries_category_title;'),
      },
    },
    { copyMvp1: true },
  );
  const repeatable = entryTitlesRepeatable(root, VIEW);
  return { ...(await loadMigrations(root)), repeatables: [repeatable] };
}

/** The schema hash of each history row of a file, by version. */
function historyHashes(file: string): [number, string | null][] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT version, schema_hash FROM mfmig_history ORDER BY version').raw().all() as [number, string | null][];
  } finally {
    db.close();
  }
}

/** Every stored snapshot of a file, by version. */
async function snapshots(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const stored = await listSnapshots(db);
    const read = [];
    for (const s of stored) read.push({ version: s.version, schema: await loadSnapshot(db, s.version) });
    return read;
  } finally {
    db.close();
  }
}

describe('createConnectionSchemaHistory', () => {
  it('stores on SQLite, version by version, the snapshots and history hashes the Migrator plugin stores for the same folder, the repeatable view included', async () => {
    const migrations = await folder();
    const [byPlugin, byParticipant] = [join(tempDir(), 'plugin.db'), join(tempDir(), 'participant.db')];
    const adapter = openDatabase(byPlugin, { create: true });
    expect((await new Migrator({ adapter, migrations, plugins: [createSchemaHistoryPlugin()] }).migrate()).error).toBeUndefined();
    adapter.close();
    const conn = new SqliteConnection(openDatabase(byParticipant, { create: true }));
    const run = await new DialectMigrator({ connection: conn, migrations, participants: [createConnectionSchemaHistory()] }).migrate();
    expect(run.error).toBeUndefined();
    const applied = (await conn.history.list()).map((h) => h.version);
    await conn.close();

    const stored = await snapshots(byParticipant);
    // one per applied version; the last one's is the newer snapshot taken after the repeatable made its view
    expect(stored.map((s) => s.version)).toEqual(applied);
    expect(stored).toEqual(await snapshots(byPlugin));
    // every history row carries its version's snapshot hash, as with the plugin, whichever runner wrote it
    const hashes = historyHashes(byParticipant);
    expect(hashes.every(([, hash]) => hash !== null)).toBe(true);
    expect(hashes).toEqual(historyHashes(byPlugin));
    const live = new Database(byParticipant, { readonly: true });
    try {
      expect(stored.at(-1)!.schema).toEqual(introspectSchema(live));
      expect(stored.at(-1)!.schema!.views.map((v) => v.name)).toContain('entry_titles');
    } finally {
      live.close();
    }
  });

  it('keeps no snapshot of a version that failed, and the next run stores it as the live schema', async () => {
    const file = join(tempDir(), 'kb.db');
    const participants = [createConnectionSchemaHistory()];
    const conn = new SqliteConnection(openDatabase(file, { create: true }));
    try {
      const broken = await folder('CREATE INDEX kb_entries_category_title ON kb_entries (category, title);\nINSERT INTO no_such_table VALUES (1);');
      const failed = await new DialectMigrator({ connection: conn, migrations: broken, participants }).migrate();
      expect(failed.error).toBeDefined();
      const applied = (await conn.history.list()).map((h) => h.version);
      expect((await snapshots(file)).map((s) => s.version)).toEqual(applied);

      const fixed = await new DialectMigrator({ connection: conn, migrations: await folder(), participants }).migrate();
      expect(fixed.error).toBeUndefined();
      const stored = await snapshots(file);
      expect(stored.map((s) => s.version).slice(applied.length)).toEqual([fixed.toVersion]);
      const live = new Database(file, { readonly: true });
      try {
        expect(stored.at(-1)!.schema).toEqual(introspectSchema(live));
      } finally {
        live.close();
      }
    } finally {
      await conn.close();
    }
  });

  it('records nothing on PostgreSQL, where diff and drift read the catalogs', async () => {
    const conn = await openPostgres(await scratchDatabase(), { createSchema: true });
    try {
      const migrations = await loadMigrations(migrationsFolder({}, { copyMvp1: true }), { dialect: 'postgres' });
      const run = await new DialectMigrator({ connection: conn, migrations, participants: [createConnectionSchemaHistory()] }).migrate();
      expect(run.error).toBeUndefined();
      expect((await conn.introspector.tables()).map((t) => t.name)).not.toContain('mfmig_schema_snapshots');
    } finally {
      await conn.close();
    }
  });
});
