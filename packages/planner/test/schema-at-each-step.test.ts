import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Migrator, isMfmigError, loadMigrations, openDatabase } from '@mfmig/core';
import { type MigrationPlan, MigrationPlanner, type PlanStep, assertRehearsalPassed } from '@mfmig/planner';
import { TEST_CALIBRATION, tempDir } from './helpers.js';

const INIT = `-- migrate:up
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE book(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE, title TEXT);
-- migrate:down
DROP TABLE book;
DROP TABLE author;
`;

/** Reproduction A: the rename-first rebuild, with the PRAGMA in the file. */
const RENAME_FIRST = `-- migrate:up
PRAGMA foreign_keys = off;
ALTER TABLE author RENAME TO _author_old;
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author(id, name) SELECT id, coalesce(name, '') FROM _author_old;
DROP TABLE _author_old;
PRAGMA foreign_keys = on;
`;

/** Reproduction B: SQLite's documented order, no PRAGMA, no header. */
const CREATE_FIRST = `-- migrate:up
CREATE TABLE author_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author_new(id, name) SELECT id, coalesce(name, '') FROM author;
DROP TABLE author;
ALTER TABLE author_new RENAME TO author;
`;

const FK_OFF = '-- foreign-keys: off\n';
const BOOKS = 5;
const AUTHORS_AND_BOOKS =
  "INSERT INTO author (id, name) VALUES (1, 'Le Guin'), (2, NULL), (3, 'Lem'); INSERT INTO book (author_id, title) VALUES (1, 'a'), (1, 'b'), (2, 'c'), (3, 'd'), (3, 'e');";

/**
 * Plans `from` -> `to` over a migrations folder of `files` on a database at version `from`
 * (0: no tables at all) filled by `seed` (default: 3 authors and 5 books).
 */
async function planOf(files: Record<string, string>, options: { from: number; to: number; rehearsal?: boolean; seed?: string }): Promise<MigrationPlan> {
  const dir = tempDir();
  const migrationsPath = join(dir, 'migrations');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(migrationsPath, path)), { recursive: true });
    writeFileSync(join(migrationsPath, path), text);
  }
  const database = join(dir, 'kb.db');
  const adapter = openDatabase(database, { create: true });
  if (options.from > 0) {
    const result = await new Migrator({ adapter, migrations: await loadMigrations(migrationsPath) }).migrate({ version: options.from });
    if (result.error) throw result.error;
    adapter.exec(options.seed ?? AUTHORS_AND_BOOKS);
  }
  adapter.close();
  const planner = new MigrationPlanner(
    { database, migrationsPath, backupPath: join(dir, 'backups') },
    { calibration: TEST_CALIBRATION, rehearsal: options.rehearsal ?? false, workDir: dir },
  );
  try {
    return await planner.createPlan({ version: options.to });
  } finally {
    planner.context.close();
  }
}

const step = (plan: MigrationPlan, version: number): PlanStep => plan.steps.find((s) => s.version === version)!;
const findings = (s: PlanStep, rule: string) => s.rules.filter((r) => r.rule === rule);

describe('the planner reasons over the schema as it will be at each step', () => {
  it('A: the rename-first rebuild leaves book referencing "_author_old", a table that no longer exists (critical, with the trap and the fixes)', async () => {
    for (const header of ['', FK_OFF]) {
      const plan = await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': header + RENAME_FIRST }, { from: 1, to: 2 });
      const s = step(plan, 2);
      expect(s.operations.filter((o) => o.kind === 'table-rebuild').map((o) => [o.table, o.flags.renamedTo])).toEqual([['author', '_author_old']]);
      const [dangling, ...more] = findings(s, 'dangling-foreign-key');
      expect(more).toEqual([]);
      expect(dangling).toMatchObject({
        severity: 'critical',
        details: { table: 'book', columns: ['author_id'], parent: '_author_old', renamedFrom: 'author' },
      });
      for (const part of ['RENAME TO _author_old', 'create-first', 'legacy_alter_table = ON', 'ctx.rebuildTable'])
        expect(dangling!.explanation).toContain(part);
      expect(plan.riskLevel).toBe('critical');
      if (header === FK_OFF) expect(findings(s, 'cascade-delete')).toEqual([]);
    }
  });

  it('A with PRAGMA legacy_alter_table = ON and foreign keys off: the references stay on author, nothing dangles', async () => {
    const legacy = FK_OFF + RENAME_FIRST.replace('PRAGMA foreign_keys = off;\n', 'PRAGMA legacy_alter_table = ON;\n');
    const s = step(await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': legacy }, { from: 1, to: 2 }), 2);
    expect(s.rules.filter((r) => ['cascade-delete', 'dangling-foreign-key'].includes(r.rule))).toEqual([]);
    const plain = step(await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': FK_OFF + RENAME_FIRST }, { from: 1, to: 2 }), 2);
    expect(findings(plain, 'dangling-foreign-key')).toHaveLength(1);
  });

  it('A with foreign keys on: DROP TABLE _author_old also deletes every book through the rewritten reference', async () => {
    const on = RENAME_FIRST.replace('PRAGMA foreign_keys = off;\n', '').replace('PRAGMA foreign_keys = on;\n', '');
    const s = step(await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': on }, { from: 1, to: 2 }), 2);
    expect(findings(s, 'cascade-delete').map((f) => [f.severity, f.details?.statement, f.details?.child, f.details?.rows])).toEqual([
      ['critical', 'DROP TABLE _author_old', 'book', BOOKS],
    ]);
    expect(findings(s, 'dangling-foreign-key')).toHaveLength(1);
  });

  it('B: DROP TABLE author with foreign keys on deletes every book through ON DELETE CASCADE (critical, child and row count named)', async () => {
    const plan = await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': CREATE_FIRST }, { from: 1, to: 2 });
    const s = step(plan, 2);
    const [cascade, ...more] = findings(s, 'cascade-delete');
    expect(more).toEqual([]);
    expect(cascade).toMatchObject({
      severity: 'critical',
      details: { statement: 'DROP TABLE author', parent: 'author', child: 'book', columns: ['author_id'], onDelete: 'CASCADE', rows: BOOKS, allRows: true },
    });
    for (const part of ['-- foreign-keys: off', 'ctx.rebuildTable', `all ${BOOKS} rows of book`]) expect(cascade!.explanation).toContain(part);
    expect(findings(s, 'dangling-foreign-key')).toEqual([]);
    expect(plan.riskLevel).toBe('critical');
    const safe = step(await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': FK_OFF + CREATE_FIRST }, { from: 1, to: 2 }), 2);
    expect(
      safe.rules
        .filter((r) => ['table-rebuild', 'cascade-delete', 'cascade-set-null', 'dangling-foreign-key'].includes(r.rule))
        .map((r) => [r.rule, r.severity]),
    ).toEqual([['table-rebuild', 'low']]);
  });

  it('B over ON DELETE SET NULL: the books lose their links to their authors', async () => {
    const init = INIT.replace('INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE', 'INTEGER REFERENCES author(id) ON DELETE SET NULL');
    const s = step(await planOf({ 'mvp1/0001_init.sql': init, 'mvp2/0002_author_name_not_null.sql': CREATE_FIRST }, { from: 1, to: 2 }), 2);
    expect(findings(s, 'cascade-delete')).toEqual([]);
    expect(findings(s, 'cascade-set-null').map((f) => [f.severity, f.details?.child, f.details?.rows, f.details?.onDelete])).toEqual([
      ['critical', 'book', BOOKS, 'SET NULL'],
    ]);
  });

  it('does not blame a later step for a cascade through a foreign key that an earlier pending step removed', async () => {
    const bookWithoutFk = `-- migrate:up
CREATE TABLE book_new(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, title TEXT);
INSERT INTO book_new(id, author_id, title) SELECT id, author_id, title FROM book;
DROP TABLE book;
ALTER TABLE book_new RENAME TO book;
`;
    const removed = await planOf(
      { 'mvp1/0001_init.sql': INIT, 'mvp2/0002_book_without_fk.sql': bookWithoutFk, 'mvp2/0003_author_name_not_null.sql': CREATE_FIRST },
      { from: 1, to: 3 },
    );
    expect(removed.steps.map((s) => s.version)).toEqual([2, 3]);
    expect(removed.steps.flatMap((s) => findings(s, 'cascade-delete'))).toEqual([]);
    expect(removed.steps.flatMap((s) => findings(s, 'dangling-foreign-key'))).toEqual([]);
    const kept = await planOf(
      {
        'mvp1/0001_init.sql': INIT,
        'mvp2/0002_notes.sql': '-- migrate:up\nCREATE TABLE note(id INTEGER PRIMARY KEY);\n',
        'mvp2/0003_author_name_not_null.sql': CREATE_FIRST,
      },
      { from: 1, to: 3 },
    );
    expect(findings(step(kept, 3), 'cascade-delete').map((f) => f.details?.child)).toEqual(['book']);
  });

  it('reasons over tables that earlier pending steps create: both steps pending on a database without tables', async () => {
    const b = await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': CREATE_FIRST }, { from: 0, to: 2 });
    expect(b.steps.map((s) => s.version)).toEqual([1, 2]);
    expect(findings(step(b, 2), 'cascade-delete').map((f) => [f.severity, f.details?.child, f.details?.rows])).toEqual([['medium', 'book', 0]]);
    const a = await planOf({ 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': FK_OFF + RENAME_FIRST }, { from: 0, to: 2 });
    expect(findings(step(a, 2), 'dangling-foreign-key').map((f) => [f.severity, f.details?.table, f.details?.parent])).toEqual([
      ['critical', 'book', '_author_old'],
    ]);
    expect(a.riskLevel).toBe('critical');
  });
});

describe('a plan whose rehearsal failed', () => {
  const TABLE = '-- migrate:up\nCREATE TABLE account(id INTEGER PRIMARY KEY, code TEXT);\n';
  const DUPLICATES = "INSERT INTO account (code) VALUES ('a'), ('b'), ('a');";
  const UNIQUE = '-- migrate:up\nCREATE INDEX account_id ON account (id);\nCREATE UNIQUE INDEX account_code ON account (code);\n';

  it('carries the failing version, statement and error, is critical, and is refused by assertRehearsalPassed', async () => {
    const plan = await planOf({ 'mvp1/0001_accounts.sql': TABLE, 'mvp2/0002_unique_codes.sql': UNIQUE }, { from: 1, to: 2, rehearsal: true, seed: DUPLICATES });
    expect(plan.rehearsal).toMatchObject({ failed: true, version: 2, name: 'unique_codes', direction: 'up' });
    expect(plan.rehearsal!.statement).toContain('CREATE UNIQUE INDEX account_code');
    expect(plan.rehearsal!.message).toContain('UNIQUE constraint failed');
    expect(plan.riskLevel).toBe('critical');
    expect(plan.estimation.method).toBe('model');
    expect(findings(step(plan, 2), 'rehearsal-failed').map((f) => f.severity)).toEqual(['critical']);
    let refused: unknown;
    try {
      assertRehearsalPassed(plan);
    } catch (error) {
      refused = error;
    }
    expect(isMfmigError(refused) && [refused.code, refused.context.version]).toEqual(['REHEARSAL_FAILED', 2]);
    expect(String((refused as Error).message)).toContain('CREATE UNIQUE INDEX account_code');
    expect((refused as Error).message).not.toMatch(/\n/);
  });

  it('keeps the model and a note when the rehearsal cannot be set up, and passes a plan whose rehearsal ran', async () => {
    const declares = `export const transformations = [{ id: 'codes', name: 'Codes', sourceTable: 'account', targetTable: 'account', transformationType: 'enrich', transform: (r) => r }];
export async function up() {}
export async function down() {}
`;
    const unset = await planOf({ 'mvp1/0001_accounts.sql': TABLE, 'mvp2/0002_codes.ts': declares }, { from: 1, to: 2, rehearsal: true, seed: DUPLICATES });
    expect(unset.rehearsal).toBeUndefined();
    expect(unset.estimation.method).toBe('model');
    expect(unset.estimation.notes.some((n) => n.startsWith('No rehearsal:'))).toBe(true);
    const fine = await planOf(
      { 'mvp1/0001_accounts.sql': TABLE, 'mvp2/0002_index.sql': '-- migrate:up\nCREATE INDEX account_code ON account (code);\n' },
      { from: 1, to: 2, rehearsal: true, seed: DUPLICATES },
    );
    expect(fine.rehearsal).toBeUndefined();
    expect(fine.estimation.method).toBe('rehearsal');
    expect(() => assertRehearsalPassed(fine)).not.toThrow();
  });
});
