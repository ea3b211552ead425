import { describe, expect, it } from 'vitest';
import { loadMigrations } from '@mfmig/core';
import { introspectSchema, replaySchema, replaySchemaVersions, replayedSnapshot, replayedTableNames } from '@mfmig/schema-evolution';
import { memoryDb, migrationsFolder, sqlMigration } from './helpers.js';

describe('replaySchemaVersions', () => {
  it('keeps the schema after every version, equal to a from-scratch replay of each prefix', async () => {
    const set = await loadMigrations(
      migrationsFolder({
        mvp1: {
          '0001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);'),
          '0002_b.sql': sqlMigration('CREATE TABLE B_Tmp (x);\nCREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));\nDROP TABLE B_Tmp;'),
        },
        mvp2: {
          '0003_data.sql': sqlMigration('INSERT INTO a DEFAULT VALUES;'),
          '0004_drop_a.sql': sqlMigration('DROP TABLE b;\nDROP TABLE a;\nCREATE TABLE c (v TEXT);'),
        },
      }),
    );
    const { versions, error } = await replaySchemaVersions(set);
    expect(error).toBeUndefined();
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    for (const v of versions) {
      const prefix = await replaySchema(
        set,
        set.migrations.filter((m) => m.version <= v.version),
      );
      expect(replayedSnapshot(v).hash).toBe(prefix.hash);
      expect(replayedSnapshot(v).tables.map((t) => t.name)).toEqual(prefix.tables.map((t) => t.name));
    }
    expect(versions[1]!.hash).toBe(versions[2]!.hash);
    expect([...replayedTableNames(versions)].sort()).toEqual(['a', 'b', 'c']);
    const live = memoryDb('CREATE TABLE a (id integer primary key); CREATE TABLE "b" (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id))');
    expect(versions.filter((v) => v.hash === introspectSchema(live).hash).map((v) => v.version)).toEqual([2, 3]);
  });

  it('stops at a migration that fails on an empty database and reports it instead of throwing', async () => {
    const set = await loadMigrations(
      migrationsFolder({
        mvp1: {
          '0001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);'),
          '0002_bad.sql': sqlMigration('CREATE TABLE half (id);\nINSERT INTO missing_table VALUES (1);'),
          '0003_c.sql': sqlMigration('CREATE TABLE c (id);'),
        },
      }),
    );
    const replay = await replaySchemaVersions(set);
    expect(replay.versions.map((v) => v.version)).toEqual([1]);
    expect(replay.error?.message).toContain('missing_table');
    expect([...replayedTableNames(replay.versions)]).toEqual(['a']);
  });
});
