import { describe, expect, it } from 'vitest';
import { type Migration } from '@mfmig/core';
import { TableState, classifyStatement, extractOperations, notNullColumns } from '@mfmig/planner';

describe('statement classification', () => {
  it('tells what each kind of statement does and to which table', () => {
    const cases: [string, string, string | undefined, string | undefined][] = [
      ['CREATE TABLE IF NOT EXISTS "kb tags" (a)', 'create-table', 'kb tags', undefined],
      ['CREATE UNIQUE INDEX i ON main.t (a) WHERE a > 0', 'create-index', 't', undefined],
      ['CREATE VIEW v AS SELECT * FROM t', 'create-view', 'v', undefined],
      ['CREATE TRIGGER tr AFTER INSERT ON [t] BEGIN SELECT 1; END', 'create-trigger', 't', undefined],
      ['DROP TABLE IF EXISTS t', 'drop-table', 't', undefined],
      ['ALTER TABLE t RENAME TO u', 'rename-table', 't', undefined],
      ['ALTER TABLE t RENAME COLUMN a TO b', 'rename-column', 't', undefined],
      ["ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT 'x'", 'add-column', 't', undefined],
      ['ALTER TABLE t DROP COLUMN c', 'drop-column', 't', undefined],
      ['INSERT INTO incidents (a) SELECT a FROM kb_entries e JOIN x ON x.id = e.id WHERE (SELECT 1 FROM y)', 'insert-select', 'incidents', 'kb_entries'],
      ["INSERT OR IGNORE INTO t (a) VALUES (1), ('2'), (3)", 'insert-values', 't', undefined],
      ['WITH s AS (SELECT 1) INSERT INTO t SELECT * FROM s', 'insert-select', 't', 's'],
      ['UPDATE OR IGNORE t SET a = 1 WHERE b = (SELECT 1)', 'update', 't', undefined],
      ['DELETE FROM t', 'delete', 't', undefined],
      ['PRAGMA foreign_keys', 'other', undefined, undefined],
    ];
    for (const [sql, kind, table, source] of cases) expect({ sql, ...pick(classifyStatement(sql)) }).toEqual({ sql, kind, table, source });
    expect(classifyStatement('INSERT INTO t VALUES (1), (2)').flags.tuples).toBe(2);
    expect(classifyStatement('ALTER TABLE t ADD COLUMN c INT NOT NULL').flags).toMatchObject({ notNull: true, hasDefault: false, column: 'c' });
    expect(classifyStatement('DELETE FROM t WHERE x = 1').flags.hasWhere).toBe(true);
    for (const sql of ['REPLACE INTO t (id) VALUES (1)', 'INSERT OR REPLACE INTO t SELECT * FROM u', 'UPDATE OR REPLACE t SET id = 2'])
      expect(classifyStatement(sql).flags.replace, sql).toBe(true);
    for (const sql of ['INSERT OR IGNORE INTO t VALUES (1)', 'INSERT INTO t SELECT * FROM u', 'UPDATE t SET id = 2'])
      expect(classifyStatement(sql).flags.replace, sql).toBeUndefined();
  });

  it('reads names the way SQLite does: quoted, bracketed, and strings where a name belongs', () => {
    expect(classifyStatement("ALTER TABLE 'Kb Entries' RENAME TO `kb entries`")).toMatchObject({
      kind: 'rename-table',
      table: 'Kb Entries',
      flags: { to: 'kb entries' },
    });
    expect(classifyStatement('ALTER TABLE t RENAME COLUMN "Old ""Name""" TO [new name]').flags).toMatchObject({ column: 'Old "Name"', to: 'new name' });
    expect(classifyStatement('ALTER TABLE t ADD "Note" TEXT -- NOT NULL\n').flags).toMatchObject({ column: 'Note', notNull: false });
    expect(classifyStatement('DELETE FROM main."order items" /* WHERE */').flags.hasWhere).toBe(false);
    expect(classifyStatement("INSERT INTO t VALUES (x'28', ')'), (2, '(')").flags.tuples).toBe(2);
    expect(notNullColumns('CREATE TABLE t ("a,b" TEXT NOT NULL, [c(d] TEXT, Straße TEXT NOT NULL)')).toEqual(
      new Map([
        ['a,b', true],
        ['c(d', false],
        ['straße', true],
      ]),
    );
  });

  it('folds a rename-first rebuild into one operation that remembers the name the old table got', async () => {
    const state = new TableState({ rows: { author: 30, book: 70 }, indexes: {} }, undefined);
    const migration = { version: 2, name: 'x', mvp: 2, foreignKeys: 'on', transformations: [] } as unknown as Migration;
    const ops = await extractOperations(
      migration,
      [
        'PRAGMA foreign_keys = off',
        'ALTER TABLE author RENAME TO _author_old',
        "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
        "INSERT INTO author (id, name) SELECT id, coalesce(name, '') FROM _author_old",
        'DROP TABLE _author_old',
        'PRAGMA foreign_keys = on',
      ],
      state,
      { direction: 'up', batchThreshold: 100_000 },
    );
    expect(ops.map((o) => [o.kind, o.table, o.rows, o.flags.renamedTo])).toEqual([
      ['other', undefined, 0, undefined],
      ['table-rebuild', 'author', 30, '_author_old'],
      ['other', undefined, 0, undefined],
    ]);
    expect(state.rows('author')).toBe(30);
  });

  it('folds a hand-written 12-step rebuild into one operation and carries row counts through', async () => {
    const state = new TableState({ rows: { kb_entries: 500, kb_tags: 900 }, indexes: {} }, undefined);
    const migration = { version: 9, name: 'x', mvp: 3, transformations: [] } as unknown as Migration;
    const ops = await extractOperations(
      migration,
      [
        'CREATE TABLE kb_entries_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL)',
        'INSERT INTO kb_entries_new (id, title) SELECT id, title FROM kb_entries',
        'DROP TABLE kb_entries',
        'ALTER TABLE kb_entries_new RENAME TO kb_entries',
        'CREATE INDEX idx_title ON kb_entries (title)',
        'CREATE TABLE copies (id INTEGER PRIMARY KEY, tag TEXT)',
        'INSERT INTO copies (tag) SELECT tag FROM kb_tags',
      ],
      state,
      { direction: 'up', batchThreshold: 100_000 },
    );
    expect(ops.map((o) => [o.kind, o.table, o.rows])).toEqual([
      ['table-rebuild', 'kb_entries', 500],
      ['create-index', 'kb_entries', 500],
      ['create-table', 'copies', 0],
      ['insert-select', 'copies', 900],
    ]);
    expect(state.rows('copies')).toBe(900);
  });

  it('plans a declared aggregate over a large source as one batch, as the transformer runs it, and a row-by-row one in batches', async () => {
    const state = new TableState({ rows: { kb_entries: 50_000, totals: 0, copies: 0 }, indexes: {} }, undefined);
    const base = { sourceTable: 'kb_entries', transformationType: 'convert', reversible: false };
    const migration = {
      version: 9,
      name: 'x',
      mvp: 3,
      transformations: [
        { ...base, id: 'totals', name: 'totals', targetTable: 'totals', sql: 'INSERT INTO totals SELECT category, count(*) FROM kb_entries GROUP BY category' },
        { ...base, id: 'copies', name: 'copies', targetTable: 'copies', sql: 'INSERT INTO copies SELECT id, title FROM kb_entries' },
      ],
    } as unknown as Migration;
    const ops = await extractOperations(migration, [], state, { direction: 'up', batchThreshold: 10_000 });
    expect(ops.map((o) => [o.statement, o.flags.wholeBatch, o.flags.stageable, o.flags.batched, o.blocksWrites])).toEqual([
      ['totals', true, true, false, false],
      ['copies', false, false, true, false],
    ]);
  });

  it('shows each statement without its comments, string literals kept', async () => {
    const state = new TableState({ rows: { kb_entries: 5 }, indexes: {} }, undefined);
    const migration = { version: 9, name: 'x', mvp: 3, transformations: [] } as unknown as Migration;
    const ops = await extractOperations(
      migration,
      ["-- Tag every entry\nINSERT INTO kb_tags (tag) /* all */ SELECT '--' || title FROM kb_entries", '-- Drop the original table\nDROP TABLE kb_old'],
      state,
      { direction: 'up', batchThreshold: 100_000 },
    );
    expect(ops.map((o) => o.statement)).toEqual(["INSERT INTO kb_tags (tag) SELECT '--' || title FROM kb_entries", 'DROP TABLE kb_old']);
  });
});

function pick(info: ReturnType<typeof classifyStatement>) {
  return { kind: info.kind, table: info.table, source: info.source };
}
