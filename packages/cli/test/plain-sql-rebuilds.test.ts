// The two table rebuilds of the issue, exactly as other projects write them, through the real
// binary: `migrate --to 1`, one author and two books inserted, then `migrate`. Every child row
// is kept: the run either applies with no violation and no dangling reference, or is refused
// with the version and the file unchanged.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mfmig, sha256File, tempDir, writeMigrations } from './helpers.js';

const INIT = `-- migrate:up
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE book(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE, title TEXT);
`;

const A = `-- migrate:up
PRAGMA foreign_keys = off;
ALTER TABLE author RENAME TO _author_old;
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author(id, name) SELECT id, coalesce(name, '') FROM _author_old;
DROP TABLE _author_old;
PRAGMA foreign_keys = on;
`;

const B = `-- migrate:up
CREATE TABLE author_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO author_new(id, name) SELECT id, coalesce(name, '') FROM author;
DROP TABLE author;
ALTER TABLE author_new RENAME TO author;
`;

function atVersionOne(second: string) {
  const dir = tempDir();
  writeMigrations(dir, { 'mvp1/0001_init.sql': INIT, 'mvp2/0002_author_name_not_null.sql': second });
  expect(mfmig(dir, ['migrate', '--to', '1', '--yes']).code).toBe(0);
  const db = new Database(join(dir, 'knowledge.db'));
  db.exec("INSERT INTO author VALUES (1, 'Ann'); INSERT INTO book VALUES (1, 1, 'x'), (2, 1, 'y');");
  db.close();
  return dir;
}

function state(dir: string) {
  const db = new Database(join(dir, 'knowledge.db'), { readonly: true });
  try {
    return {
      books: db.prepare('SELECT * FROM book ORDER BY id').all(),
      versions: db.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all(),
      bookSql: db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'book'").pluck().get() as string,
      violations: db.prepare('PRAGMA foreign_key_check').all(),
    };
  } finally {
    db.close();
  }
}

describe('plain-SQL table rebuilds written for foreign keys off', () => {
  it.each([
    ['A: rename-first, with PRAGMA foreign_keys = off in the file', A, 'dangling-foreign-key'],
    ["B: SQLite's documented create-first order, with no header", B, 'cascade'],
  ])('%s: refused before the run, every book kept, the file unchanged', (_name, second, check) => {
    const dir = atVersionOne(second);
    const before = state(dir);
    const bytes = sha256File(join(dir, 'knowledge.db'));
    const run = mfmig(dir, ['--json', 'migrate', '--yes']);
    expect(run.code).toBe(3);
    expect(run.json.error).toMatchObject({ code: 'REHEARSAL_FAILED', version: 2 });
    expect(run.json.error.message).toContain(check === 'cascade' ? 'would delete 2 row(s) of book' : 'RENAME TO _author_old');
    expect(sha256File(join(dir, 'knowledge.db'))).toBe(bytes);
    expect(state(dir)).toEqual(before);
  });

  it.each([
    ['A with PRAGMA legacy_alter_table = on as well', A.replace('PRAGMA foreign_keys = off;', 'PRAGMA foreign_keys = off;\nPRAGMA legacy_alter_table = on;')],
    ['B with the -- foreign-keys: off header', `-- foreign-keys: off\n${B}`],
    ['B with PRAGMA foreign_keys = off in the file', B.replace('-- migrate:up\n', '-- migrate:up\nPRAGMA foreign_keys = off;\n')],
  ])('%s: applied, every book kept, no violation and no dangling reference', (_name, second) => {
    const dir = atVersionOne(second);
    const before = state(dir);
    const run = mfmig(dir, ['migrate', '--yes']);
    expect(run.code).toBe(0);
    const after = state(dir);
    expect(after.books).toEqual(before.books);
    expect(after.versions).toEqual([1, 2]);
    expect(after.violations).toEqual([]);
    expect(after.bookSql).toMatch(/REFERENCES author\(id\)/);
  });

  it('a dry run, which is not planned, is refused by the runner itself and changes nothing', () => {
    const dir = atVersionOne(B);
    const before = state(dir);
    const dry = mfmig(dir, ['--json', 'migrate', '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.json.error.message).toContain('would delete 2 row(s) of book');
    expect(state(dir)).toEqual(before);
  });
});
