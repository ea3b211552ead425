import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteIntrospector, openDatabase, watchStatements } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

/** A database file with objects to look up by type, name and table, and keys that point at one parent. */
function lookupDatabase(): string {
  const path = join(tempDir(), 'lookups.db');
  const db = new Database(path);
  db.exec(`
    CREATE TABLE Author (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES author(id), editor_id INTEGER REFERENCES AUTHOR(id), title TEXT);
    CREATE INDEX book_title ON book (title COLLATE NOCASE DESC, lower(title));
    CREATE TABLE shelf (book_id INTEGER REFERENCES book, slot INTEGER, PRIMARY KEY (slot, book_id)) WITHOUT ROWID;
    CREATE INDEX shelf_book ON shelf (book_id);
    CREATE TABLE author_note (author_id INTEGER REFERENCES Author ON DELETE CASCADE, note TEXT);
    CREATE TABLE mfmig_author_copy (author_id INTEGER REFERENCES author(id));
    CREATE TABLE mentor (id INTEGER PRIMARY KEY, mentor_id INTEGER REFERENCES mentor(id));
    CREATE VIEW book_titles AS SELECT title FROM book;
    CREATE TRIGGER book AFTER INSERT ON author BEGIN SELECT 1; END;
    CREATE TRIGGER book_touch AFTER UPDATE ON book BEGIN SELECT 1; END;`);
  db.close();
  return path;
}

describe('SqliteIntrospector lookups', () => {
  let path: string;
  beforeAll(() => {
    path = lookupDatabase();
  });

  it('reads the catalog rows of one type, name or table, names matched in any ASCII case', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      const names = (query: Parameters<SqliteIntrospector['catalogSync']>[0]) => catalog.catalogSync(query).map((r) => `${r.type} ${r.name}`);
      expect(names({ type: 'trigger' })).toEqual(['trigger book', 'trigger book_touch']);
      // a table and a trigger may share a name: both come back, in rowid order
      expect(names({ name: 'BOOK' })).toEqual(['table book', 'trigger book']);
      expect(names({ type: 'table', name: 'author' })).toEqual(['table Author']);
      expect(names({ table: 'Book' })).toEqual(['table book', 'index book_title', 'trigger book_touch']);
      expect(names({ type: 'index', name: 'BOOK_TITLE', table: 'BOOK' })).toEqual(['index book_title']);
      expect(names({ type: 'index', name: 'book_title', table: 'shelf' })).toEqual([]);
      expect(names({ type: 'table', name: 'nothing' })).toEqual([]);
      const all = catalog.catalogSync();
      const afterBook = all.find((r) => r.name === 'book')!.rowid;
      expect(names({ type: 'table', afterRowid: afterBook })).toEqual(['table shelf', 'table author_note', 'table mfmig_author_copy', 'table mentor']);
      expect(catalog.catalogSync({ type: 'view' })).toEqual([
        {
          rowid: all.find((r) => r.name === 'book_titles')!.rowid,
          type: 'view',
          name: 'book_titles',
          tbl_name: 'book_titles',
          rootpage: 0,
          sql: 'CREATE VIEW book_titles AS SELECT title FROM book',
        },
      ]);
    } finally {
      adapter.close();
    }
  });

  it('counts the catalog rows of one type', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      expect(catalog.catalogCountSync({ type: 'trigger' })).toBe(2);
      expect(catalog.catalogCountSync({ type: 'table' })).toBe(6);
      expect(catalog.catalogCountSync({ type: 'nothing' })).toBe(0);
      expect(catalog.catalogCountSync()).toBe(catalog.catalogSync().length);
    } finally {
      adapter.close();
    }
  });

  it('lists every column of an index, the ones appended to find the row included', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      expect(catalog.indexColumnsSync('book_title')).toEqual([
        { cid: 3, name: 'title', descending: true, collation: 'NOCASE', key: true },
        { cid: -2, name: null, descending: false, collation: 'BINARY', key: true },
        { cid: -1, name: null, descending: false, collation: 'BINARY', key: false },
      ]);
      // a WITHOUT ROWID table's index finds the row by the primary key columns it lacks
      expect(catalog.indexColumnsSync('shelf_book').map((c) => [c.name, c.key])).toEqual([
        ['book_id', true],
        ['slot', false],
      ]);
      expect(catalog.indexColumnsSync('nothing')).toEqual([]);
    } finally {
      adapter.close();
    }
  });

  it('names the tables whose foreign keys point at a table, each once, in catalog order', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      // book names author twice, in two spellings; mfmig's own tables are listed too
      expect(catalog.referencingTablesSync('AUTHOR')).toEqual(['book', 'author_note', 'mfmig_author_copy']);
      expect(catalog.referencingTablesSync('book')).toEqual(['shelf']);
      expect(catalog.referencingTablesSync('mentor')).toEqual(['mentor']);
      expect(catalog.referencingTablesSync('shelf')).toEqual([]);
    } finally {
      adapter.close();
    }
  });

  it('sees objects created after its statements were prepared', () => {
    const adapter = openDatabase(':memory:');
    try {
      const catalog = new SqliteIntrospector(adapter);
      expect(catalog.catalogSync({ type: 'table', name: 't' })).toEqual([]);
      expect(catalog.catalogCountSync({ type: 'trigger' })).toBe(0);
      adapter.exec('CREATE TABLE t (a INTEGER); CREATE TABLE c (a INTEGER REFERENCES t (a)); CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN SELECT 1; END');
      expect(catalog.catalogSync({ type: 'table', name: 't' }).map((r) => r.name)).toEqual(['t']);
      expect(catalog.catalogCountSync({ type: 'trigger' })).toBe(1);
      expect(catalog.referencingTablesSync('t')).toEqual(['c']);
    } finally {
      adapter.close();
    }
  });

  it('is one per connection: every reader of an adapter shares its prepared statements, and a second connection has its own', () => {
    const adapter = openDatabase(':memory:');
    const other = watchStatements(adapter, () => {});
    try {
      expect(adapter.introspector).toBe(adapter.introspector);
      expect(other.introspector).not.toBe(adapter.introspector);
      const prepared: string[] = [];
      const counted = watchStatements(adapter, (sql) => prepared.push(sql));
      for (let i = 0; i < 3; i++) counted.introspector.tableListSync();
      adapter.exec('CREATE TABLE t (a INTEGER)');
      // prepared once, and still right after DDL (SQLite re-prepares it inside the same statement)
      expect(counted.introspector.tableListSync().map((t) => t.name)).toContain('t');
      expect(prepared).toHaveLength(1);
    } finally {
      adapter.close();
    }
  });
});

describe('SqliteAdapter.hasMoreRowsThan', () => {
  it('answers from the first limit + 1 rows, and every table, empty ones too, holds more than -1', () => {
    const adapter = openDatabase(':memory:');
    adapter.exec('CREATE TABLE empty_t (id INTEGER PRIMARY KEY); CREATE TABLE three (id INTEGER PRIMARY KEY); INSERT INTO three VALUES (1), (2), (3);');
    const answers = [
      [adapter.hasMoreRowsThan('three', 2), adapter.hasMoreRowsThan('three', 3), adapter.hasMoreRowsThan('three', 2.5)],
      [adapter.hasMoreRowsThan('empty_t', 0), adapter.hasMoreRowsThan('empty_t', -1)],
    ];
    adapter.close();
    expect(answers).toEqual([
      [true, false, true],
      [false, true],
    ]);
  });
});
