import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mfmig, tempDir, writeMigrations } from './helpers.js';

/**
 * A Flyway folder as other projects write one for SQLite: a seed whose undo counts on
 * `ON DELETE CASCADE`, and a later table rebuild written the way SQLite's documentation gives it
 * (`PRAGMA foreign_keys=OFF`, create-copy-drop-rename). Undone together, the rebuild's undo runs
 * with foreign keys off and the seed's with them on.
 */
const FILES = {
  'V1__authors_and_books.sql':
    'CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n' +
    'CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE, title TEXT NOT NULL);',
  'U1__authors_and_books.sql': 'DROP TABLE books;\nDROP TABLE authors;',
  'V2__house_authors.sql':
    "INSERT INTO authors (id, name) VALUES (1, 'house');\nINSERT INTO books (id, author_id, title) VALUES (1, 1, 'style guide'), (2, 1, 'handbook'), (3, 1, 'glossary');",
  'U2__house_authors.sql': 'DELETE FROM authors WHERE id = 1;',
  'V3__authors_email.sql': 'ALTER TABLE authors ADD COLUMN email TEXT;',
  'U3__authors_email.sql': [
    'PRAGMA foreign_keys=OFF;',
    'BEGIN TRANSACTION;',
    'CREATE TABLE new_authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);',
    'INSERT INTO new_authors (id, name) SELECT id, name FROM authors;',
    'DROP TABLE authors;',
    'ALTER TABLE new_authors RENAME TO authors;',
    'COMMIT;',
  ].join('\n'),
};

/** The version mfmig gives Flyway's `V<n>__` file. */
const V = (n: number) => n * 1_000_000;

const count = (db: string, sql: string) => {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).pluck().get() as number;
  } finally {
    conn.close();
  }
};

describe('rollback --plan-only over downs that switch foreign keys', () => {
  it('measures every down, the cascade included, changes nothing, and the rollback archives what the plan said', () => {
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const db = join(dir, 'knowledge.db');
    expect(mfmig(dir, ['--json', 'migrate']).code).toBe(0);
    // the application's own rows beside the seed's
    const app = new Database(db);
    app.exec("INSERT INTO authors (id, name) VALUES (2, 'guest'); INSERT INTO books (author_id, title) VALUES (2, 'notes');");
    app.close();
    const state = () => [
      count(db, 'SELECT max(version) FROM mfmig_history'),
      count(db, 'SELECT count(*) FROM books'),
      count(db, 'SELECT count(*) FROM authors'),
    ];
    const before = state();
    expect(before).toEqual([V(3), 4, 2]);

    const plan = mfmig(dir, ['--json', 'rollback', '--to', '1', '--plan-only']);
    expect(plan.code).toBe(0);
    expect(state()).toEqual(before);
    const steps = plan.json.steps as { version: number; analysis: string; analysisError: string | null }[];
    expect(steps.map((s) => [s.version, s.analysis, s.analysisError])).toEqual([
      [V(3), 'probe', null],
      [V(2), 'probe', null],
    ]);
    const atRisk = (plan.json.dataAtRisk as { version: number; table: string; kind: string; rows: number }[]).map((d) => [d.version, d.table, d.kind, d.rows]);
    // the seed's undo deletes its author and, through the cascade, the author's three books
    expect(atRisk).toContainEqual([V(2), 'books', 'rows', 3]);
    expect(atRisk).toContainEqual([V(2), 'authors', 'rows', 1]);

    const done = mfmig(dir, ['--json', '--yes', 'rollback', '--to', '1']);
    expect(done.code).toBe(0);
    const preserved = (done.json.result.preserved as { version: number; table: string; kind: string; rows: number }[]).map((p) => [
      p.version,
      p.table,
      p.kind,
      p.rows,
    ]);
    expect(preserved.filter((p) => p[0] === V(2)).sort()).toEqual(atRisk.filter((d) => d[0] === V(2) && (d[3] as number) > 0).sort());
    // the guest's book is still there; the house's are in the archive, and come back with the migrate
    expect([count(db, 'SELECT count(*) FROM books'), count(db, 'SELECT count(*) FROM authors')]).toEqual([1, 1]);
    expect(mfmig(dir, ['--json', 'migrate']).code).toBe(0);
    expect(state()).toEqual(before);
  });
});
