import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { createSchemaHistoryPlugin, introspectSchema, loadSnapshot } from '@mfmig/schema-evolution';
import { entryTitlesRepeatable, migrationsFolder, tempDir } from './helpers.js';

const VIEW = 'DROP VIEW IF EXISTS entry_titles;\nCREATE VIEW entry_titles AS SELECT title FROM kb_entries;';

describe('schema history and repeatable migrations', () => {
  it('a repeatable that changes the schema stores a newer snapshot of the version the database is at, so it is no drift', async () => {
    const db = new Database(join(tempDir(), 'kb.db'));
    const root = migrationsFolder({}, { copyMvp1: true });
    const repeatable = entryTitlesRepeatable(root, VIEW);
    const migrations = { ...(await loadMigrations(root)), repeatables: [repeatable] };
    const migrator = new Migrator({ adapter: openDatabase(db), migrations, plugins: [createSchemaHistoryPlugin()] });
    const result = await migrator.migrate();
    expect(result.error).toBeUndefined();
    const version = migrator.status().currentVersion;
    expect((await loadSnapshot(db, version))!.views.map((v) => v.name)).toContain('entry_titles');
    expect(await loadSnapshot(db, version)).toEqual(introspectSchema(db));
  });
});
