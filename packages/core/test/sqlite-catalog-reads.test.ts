import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteIntrospector, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

/** A database file with the facts the shared table shape has no room for. */
function catalogDatabase(): string {
  const path = join(tempDir(), 'catalog.db');
  const db = new Database(path);
  db.exec(`
    CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT DEFAULT 'none' UNIQUE);
    CREATE TABLE tag (label TEXT PRIMARY KEY, weight INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE book (
      id INTEGER PRIMARY KEY,
      author_id INTEGER REFERENCES author(id) ON UPDATE CASCADE ON DELETE SET NULL,
      label TEXT, title TEXT,
      title_lower TEXT GENERATED ALWAYS AS (lower(title)) VIRTUAL,
      FOREIGN KEY (label, title) REFERENCES tag MATCH FULL
    ) STRICT;
    CREATE INDEX book_title ON book (title COLLATE NOCASE DESC);
    CREATE UNIQUE INDEX book_author_partial ON book (author_id) WHERE author_id IS NOT NULL;
    CREATE INDEX book_expr ON book (lower(label));
    CREATE VIEW book_titles AS SELECT title FROM book;
    CREATE TRIGGER book_touch AFTER UPDATE ON book BEGIN SELECT 1; END;
    CREATE TABLE scratch (body BLOB);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO scratch SELECT zeroblob(1000) FROM n;
    DROP TABLE scratch;`);
  db.close();
  return path;
}

describe('SqliteIntrospector catalog reads', () => {
  let path: string;
  beforeAll(() => {
    path = catalogDatabase();
  });

  it('reads sqlite_schema whole, in rowid order, or only the rows after a rowid', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      const rows = catalog.catalogSync();
      expect(rows.map((r) => [r.type, r.name, r.tbl_name])).toEqual([
        ['table', 'author', 'author'],
        ['index', 'sqlite_autoindex_author_1', 'author'],
        ['table', 'tag', 'tag'],
        ['table', 'book', 'book'],
        ['index', 'book_title', 'book'],
        ['index', 'book_author_partial', 'book'],
        ['index', 'book_expr', 'book'],
        ['view', 'book_titles', 'book_titles'],
        ['trigger', 'book_touch', 'book'],
      ]);
      expect(rows.map((r) => r.rowid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(rows.find((r) => r.name === 'sqlite_autoindex_author_1')!.sql).toBeNull();
      expect(rows.find((r) => r.name === 'book_touch')).toMatchObject({
        rootpage: 0,
        sql: 'CREATE TRIGGER book_touch AFTER UPDATE ON book BEGIN SELECT 1; END',
      });
      expect(rows.filter((r) => r.type === 'table').every((r) => r.rootpage > 1)).toBe(true);
      expect(catalog.catalogSync({ afterRowid: 7 }).map((r) => r.name)).toEqual(['book_titles', 'book_touch']);
      expect(catalog.catalogCountSync()).toBe(9);
      expect(catalog.schemaVersionSync()).toBeGreaterThan(0);
    } finally {
      adapter.close();
    }
  });

  it('lists tables with WITHOUT ROWID and STRICT, and finds one by name in any case', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      const list = catalog.tableListSync();
      expect(list.map((t) => t.name).sort()).toEqual(['author', 'book', 'book_titles', 'sqlite_schema', 'tag']);
      expect(list.find((t) => t.name === 'tag')).toEqual({ name: 'tag', type: 'table', columnCount: 2, withoutRowid: true, strict: false });
      expect(list.find((t) => t.name === 'book')).toEqual({ name: 'book', type: 'table', columnCount: 5, withoutRowid: false, strict: true });
      expect(list.find((t) => t.name === 'book_titles')?.type).toBe('view');
      expect(catalog.tableListSync('BOOK').map((t) => t.name)).toEqual(['book']);
      expect(catalog.tableListSync('nothing')).toEqual([]);
    } finally {
      adapter.close();
    }
  });

  it('reads columns with generated ones, foreign keys with ON UPDATE, and indexes with collations', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const catalog = new SqliteIntrospector(adapter);
      expect(catalog.columnsSync('author')).toEqual([
        { cid: 0, name: 'id', type: 'INTEGER', notNull: false, defaultSql: null, pk: 1, hidden: 0 },
        { cid: 1, name: 'name', type: 'TEXT', notNull: true, defaultSql: null, pk: 0, hidden: 0 },
        { cid: 2, name: 'email', type: 'TEXT', notNull: false, defaultSql: "'none'", pk: 0, hidden: 0 },
      ]);
      expect(catalog.columnsSync('book', { schema: 'main' }).map((c) => [c.name, c.hidden])).toEqual([
        ['id', 0],
        ['author_id', 0],
        ['label', 0],
        ['title', 0],
        ['title_lower', 2],
      ]);
      expect(catalog.columnsSync('nothing')).toEqual([]);

      expect(catalog.foreignKeyListSync('book')).toEqual([
        { id: 0, parent: 'tag', from: ['label', 'title'], to: [null, null], onUpdate: 'NO ACTION', onDelete: 'NO ACTION', match: 'NONE' },
        { id: 1, parent: 'author', from: ['author_id'], to: ['id'], onUpdate: 'CASCADE', onDelete: 'SET NULL', match: 'NONE' },
      ]);
      expect(catalog.foreignKeyListSync('author')).toEqual([]);

      const indexes = catalog.indexListSync('book');
      expect(indexes.map((i) => i.name).sort()).toEqual(['book_author_partial', 'book_expr', 'book_title']);
      expect(indexes.find((i) => i.name === 'book_title')).toEqual({
        name: 'book_title',
        unique: false,
        origin: 'c',
        partial: false,
        sql: 'CREATE INDEX book_title ON book (title COLLATE NOCASE DESC)',
        keys: [{ cid: 3, name: 'title', descending: true, collation: 'NOCASE' }],
      });
      expect(indexes.find((i) => i.name === 'book_author_partial')).toMatchObject({
        unique: true,
        partial: true,
        keys: [{ cid: 1, name: 'author_id', descending: false, collation: 'BINARY' }],
      });
      expect(indexes.find((i) => i.name === 'book_expr')!.keys).toEqual([{ cid: -2, name: null, descending: false, collation: 'BINARY' }]);
      // a WITHOUT ROWID table is its primary key's b-tree: the index has no sqlite_schema row
      expect(catalog.indexListSync('tag')).toEqual([
        {
          name: 'sqlite_autoindex_tag_1',
          unique: true,
          origin: 'pk',
          partial: false,
          sql: null,
          keys: [{ cid: 0, name: 'label', descending: false, collation: 'BINARY' }],
        },
      ]);
    } finally {
      adapter.close();
    }
  });

  it('reads page size, page count and free pages from the file', () => {
    const adapter = openDatabase(path, { mode: 'readonly' });
    try {
      const storage = new SqliteIntrospector(adapter).storageSync();
      expect(storage.pageSize).toBe(4096);
      expect(storage.pageCount * storage.pageSize).toBe(adapter.sizeBytes());
      // the dropped table's pages wait on the free list
      expect(storage.freelistCount).toBeGreaterThan(20);
    } finally {
      adapter.close();
    }
  });

  it('sees a TEMP table first when no schema is named, as SQLite resolves names', () => {
    const adapter = openDatabase(path);
    try {
      adapter.exec('CREATE TEMP TABLE author (nickname TEXT)');
      const catalog = new SqliteIntrospector(adapter);
      expect(catalog.columnsSync('author').map((c) => c.name)).toEqual(['nickname']);
      expect(catalog.columnsSync('author', { schema: 'main' }).map((c) => c.name)).toEqual(['id', 'name', 'email']);
      expect(catalog.tableListSync('author')).toHaveLength(1);
    } finally {
      adapter.close();
    }
  });

  it('sees DDL made after its statements were prepared', () => {
    const adapter = openDatabase(':memory:');
    try {
      const catalog = new SqliteIntrospector(adapter);
      expect(catalog.catalogSync()).toEqual([]);
      const before = catalog.schemaVersionSync();
      adapter.exec('CREATE TABLE t (a INTEGER); CREATE INDEX t_a ON t (a)');
      expect(catalog.schemaVersionSync()).toBe(before + 2);
      expect(catalog.catalogSync().map((r) => r.name)).toEqual(['t', 't_a']);
      expect(catalog.indexListSync('t').map((i) => i.name)).toEqual(['t_a']);
    } finally {
      adapter.close();
    }
  });
});
