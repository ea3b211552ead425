import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SchemaEvolution, diffSnapshots, introspectSchema, renderDiff } from '@mfmig/schema-evolution';
import { memoryDb, migrationsFolder, tempDir } from './helpers.js';

const REAL_MIGRATIONS = resolve(import.meta.dirname, '../../../migrations');

function diffOf(before: string, after: string) {
  return diffSnapshots(introspectSchema(memoryDb(before)), introspectSchema(memoryDb(after)));
}

function only(before: string, after: string) {
  const diff = diffOf(before, after);
  expect(diff.changes.map((c) => c.description)).toHaveLength(1);
  return diff.changes[0]!;
}

const T = 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, n INTEGER DEFAULT 0';

describe('schema diff and compatibility', () => {
  it('diffs the real MVP1 migrations (0001 -> 0002): a table, its index and a view added, all compatible', async () => {
    const db = new Database(join(tempDir(), 'kb.db'));
    const evolution = new SchemaEvolution({ database: db, migrationsPath: migrationsFolder({}, { copyMvp1: true }) });
    expect((await (await evolution.context.migrator()).migrate()).error).toBeUndefined();
    const diff = await evolution.diff(1, 2);
    expect(diff.tables).toEqual({ added: ['kb_feedback'], removed: [], changed: [], renamed: [] });
    expect(diff.indexes.added).toEqual(['idx_kb_feedback_entry']);
    expect(diff.views.added).toEqual(['kb_entry_stats']);
    expect(diff.breaking).toEqual([]);
    expect((await evolution.diff(0, 'live')).tables.added).toEqual(['kb_entries', 'kb_feedback', 'kb_tags']);
    expect((await evolution.diff(2, 1)).breaking.map((c) => c.kind).sort()).toEqual(['table-removed', 'view-removed']);
    const text = renderDiff(diff, { from: 'version 1', to: 'version 2' });
    expect(text.split('\n')).toHaveLength(1 + diff.changes.length);
  });

  it('sees the real MVP3 rebuild of kb_entries (0009) as a widened CHECK, compatible', async () => {
    const evolution = new SchemaEvolution({ database: new Database(':memory:'), migrationsPath: REAL_MIGRATIONS });
    const diff = await evolution.diff(8, 9);
    const kb = diff.changes.filter((c) => c.object === 'kb_entries');
    expect(kb.map((c) => [c.kind, c.compatibility])).toEqual([['check-changed', 'compatible']]);
    expect((await evolution.diff(9, 8)).breaking.map((c) => c.kind)).toEqual(['check-changed']);
  });

  it('classifies each kind of change', () => {
    const cases: [string, string, string, 'compatible' | 'breaking'][] = [
      [`${T})`, `${T}, extra TEXT)`, 'column-added', 'compatible'],
      [`${T})`, `${T}, extra TEXT NOT NULL)`, 'column-added', 'breaking'],
      [`${T})`, `${T}, extra TEXT NOT NULL DEFAULT '')`, 'column-added', 'compatible'],
      [`${T}, legacy TEXT)`, `${T})`, 'column-removed', 'breaking'],
      [`${T})`, T.replace('note TEXT', 'note VARCHAR(20)') + ')', 'column-type-changed', 'breaking'],
      [T.replace('note TEXT', 'note VARCHAR(20)') + ')', T.replace('note TEXT', 'note VARCHAR(200)') + ')', 'column-type-changed', 'compatible'],
      [`${T})`, T.replace('n INTEGER', 'n REAL') + ')', 'column-type-changed', 'compatible'],
      [`${T})`, T.replace('note TEXT', 'note INTEGER') + ')', 'column-type-changed', 'breaking'],
      [`${T})`, T.replace('note TEXT', 'note TEXT NOT NULL') + ')', 'column-nullability-changed', 'breaking'],
      [`${T})`, T.replace('note TEXT', "note TEXT NOT NULL DEFAULT ''") + ')', 'column-nullability-changed', 'compatible'],
      [`${T})`, T.replace('name TEXT NOT NULL', 'name TEXT') + ')', 'column-nullability-changed', 'compatible'],
      [`${T})`, `${T}, CHECK (n >= 0))`, 'check-added', 'breaking'],
      [`${T}, CHECK (n >= 0))`, `${T})`, 'check-removed', 'compatible'],
      [`${T}, UNIQUE (name))`, `${T})`, 'unique-removed', 'compatible'],
      [`${T})`, `${T}, UNIQUE (name))`, 'unique-added', 'breaking'],
      [`${T}); CREATE INDEX i ON t (name)`, `${T})`, 'index-removed', 'compatible'],
      [`${T})`, `${T}); CREATE UNIQUE INDEX i ON t (name)`, 'index-added', 'breaking'],
      [`${T})`, `${T}) STRICT`, 'table-options-changed', 'breaking'],
      [`${T}); CREATE VIEW v AS SELECT id, name FROM t`, `${T}); CREATE VIEW v AS SELECT id, name, note FROM t`, 'view-changed', 'compatible'],
      [`${T}); CREATE VIEW v AS SELECT id, name FROM t`, `${T}); CREATE VIEW v AS SELECT id FROM t`, 'view-changed', 'breaking'],
      [`${T}); CREATE VIEW v AS SELECT 1`, `${T})`, 'view-removed', 'breaking'],
    ];
    for (const [before, after, kind, compatibility] of cases) {
      const diff = diffOf(before, after);
      const change = diff.changes.find((c) => c.kind === kind);
      expect({ kind: change?.kind, compatibility: change?.compatibility, breaking: diff.breaking.length > 0, case: after }).toEqual({
        kind,
        compatibility,
        breaking: compatibility === 'breaking',
        case: after,
      });
    }
  });

  it('classifies foreign key changes, renames and dropped tables', () => {
    const parent = 'CREATE TABLE p (id INTEGER PRIMARY KEY);';
    const action = only(
      `${parent} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE CASCADE)`,
      `${parent} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE RESTRICT)`,
    );
    expect(action).toMatchObject({
      kind: 'foreign-key-action-changed',
      compatibility: 'breaking',
      from: { onDelete: 'CASCADE' },
      to: { onDelete: 'RESTRICT' },
    });
    expect(
      only(
        `${parent} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER)`,
        `${parent} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id))`,
      ),
    ).toMatchObject({
      kind: 'foreign-key-added',
      compatibility: 'breaking',
    });
    const renamed = memoryDb(`${T})`);
    const before = introspectSchema(renamed);
    renamed.exec('ALTER TABLE t RENAME COLUMN note TO remark');
    const afterColumn = introspectSchema(renamed);
    expect(diffSnapshots(before, afterColumn).changes.map((c) => [c.kind, c.column, c.compatibility])).toEqual([['column-renamed', 'remark', 'breaking']]);
    renamed.exec('ALTER TABLE t RENAME TO items');
    const diff = diffSnapshots(afterColumn, introspectSchema(renamed));
    expect(diff.tables.renamed).toEqual([{ from: 't', to: 'items' }]);
    expect(diff.breaking.map((c) => c.kind)).toEqual(['table-renamed']);
    expect(only(`${T}); CREATE TABLE gone (x)`, `${T})`)).toMatchObject({ kind: 'table-removed', compatibility: 'breaking' });
  });

  it('answers whether an older milestone application still runs against the live schema', async () => {
    const root = migrationsFolder(
      {
        mvp2: {
          '0003_add_incidents.sql':
            '-- migrate:up\nCREATE TABLE incidents (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\nALTER TABLE kb_entries ADD COLUMN priority INTEGER;\n-- migrate:down\nDROP TABLE incidents;\n',
        },
        mvp3: {
          '0004_drop_usage.sql': '-- migrate:up\nDROP VIEW kb_entry_stats;\nALTER TABLE kb_entries DROP COLUMN failure_count;\n-- migrate:down\nSELECT 1;\n',
        },
      },
      { copyMvp1: true },
    );
    const evolution = new SchemaEvolution({ database: new Database(join(tempDir(), 'kb.db')), migrationsPath: root });
    const migrator = await evolution.context.migrator();
    expect((await migrator.migrate({ mvp: 2 })).error).toBeUndefined();
    expect((await evolution.checkCompatibility({ mvp: 1 })).compatible).toBe(true);
    expect((await migrator.migrate({ mvp: 3 })).error).toBeUndefined();
    const report = await evolution.checkCompatibility({ mvp: 2 });
    expect(report.compatible).toBe(false);
    expect(report.baseline.version).toBe(3);
    expect(report.breaking.map((c) => c.description).sort()).toEqual([
      'column kb_entries.failure_count dropped (failure_count INTEGER NOT NULL DEFAULT 0)',
      'view kb_entry_stats dropped',
    ]);
    expect((await evolution.checkCompatibility({ mvp: 3 })).compatible).toBe(true);
  });
});
