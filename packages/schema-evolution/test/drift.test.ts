import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { SchemaEvolution } from '@mfmig/schema-evolution';
import { migrationsFolder, tempDir } from './helpers.js';

describe('drift detection', () => {
  it('finds a table created by hand after the migrations, and an index dropped by hand', async () => {
    const root = migrationsFolder({}, { copyMvp1: true });
    const db = new Database(join(tempDir(), 'kb.db'));
    const evolution = new SchemaEvolution({ database: db, migrationsPath: root });
    expect((await (await evolution.context.migrator()).migrate()).error).toBeUndefined();
    const clean = await evolution.detectDrift();
    expect(clean).toMatchObject({ hasDrift: false, version: 2, expected: { source: 'snapshot' }, changes: [] });
    db.exec('CREATE TABLE scratch_notes (id INTEGER PRIMARY KEY, body TEXT); DROP INDEX idx_kb_tags_tag;');
    const drift = await evolution.detectDrift();
    expect(drift.hasDrift).toBe(true);
    expect(drift.changes.map((c) => [c.kind, c.object])).toEqual([
      ['table-added', 'scratch_notes'],
      ['index-removed', 'idx_kb_tags_tag'],
    ]);
    expect(drift.summary[0]).toContain('no applied migration creates it');
    expect(drift.actualHash).not.toBe(drift.expected.hash);
  });

  it('replays the applied migrations when no snapshot was stored (migrated without schema history)', async () => {
    const root = migrationsFolder({}, { copyMvp1: true });
    const db = new Database(join(tempDir(), 'kb.db'));
    const plain = new Migrator({ adapter: openDatabase(db), migrations: await loadMigrations(root) });
    expect((await plain.migrate({ version: 1 })).error).toBeUndefined();
    db.exec('ALTER TABLE kb_entries ADD COLUMN hand_made TEXT');
    const drift = await new SchemaEvolution({ database: db, migrationsPath: root }).detectDrift();
    expect(drift).toMatchObject({ hasDrift: true, version: 1, expected: { source: 'replay' } });
    expect(drift.changes.map((c) => [c.kind, c.object, c.column])).toEqual([['column-added', 'kb_entries', 'hand_made']]);
  });
});
