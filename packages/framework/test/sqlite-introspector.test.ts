import { afterAll, describe, expect, it } from 'vitest';
import { type TableInfo, SqliteIntrospector, loadMigrations, openDatabase, rehearse } from '@mfmig/core';
import { createConnectionTransformer } from '@mfmig/framework';
import { withReplayedDatabase } from '@mfmig/schema-evolution';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { REAL_MIGRATIONS } from './helpers.js';

afterAll(dropScratchDatabases);

/** What both dialects must agree on: tables, primary keys, and which columns reference which. */
function shape(tables: TableInfo[]) {
  return tables.map((t) => ({
    name: t.name,
    columns: t.columns.map((c) => c.name),
    primaryKey: t.primaryKey,
    foreignKeys: t.foreignKeys
      .map((fk) => `${fk.columns.join(',')} -> ${fk.referencedTable}(${fk.referencedColumns.join(',')}) ON DELETE ${fk.onDelete}`)
      .sort(),
  }));
}

describe('SqliteIntrospector', () => {
  it('reads tables in the shape of the dialect boundary, with SQLite facts mapped, and leaves mfmig tables out', () => {
    const adapter = openDatabase(':memory:');
    adapter.exec(`
      CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, name_lower TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL);
      CREATE TABLE book (author_id INTEGER NOT NULL REFERENCES author ON DELETE CASCADE, title TEXT NOT NULL DEFAULT 'untitled', PRIMARY KEY (title, author_id)) WITHOUT ROWID;
      CREATE INDEX book_by_author ON book (author_id) WHERE title <> '';
      CREATE INDEX author_expr ON author (lower(name));
      CREATE TABLE mfmig_notes (id INTEGER PRIMARY KEY);`);
    const introspector = new SqliteIntrospector(adapter);
    expect(introspector.tablesSync().map((t) => t.name)).toEqual(['author', 'book']);
    const book = introspector.tableSync('BOOK')!;
    expect(book.name).toBe('book');
    expect(book.primaryKey).toEqual(['title', 'author_id']);
    expect(book.columns).toEqual([
      { name: 'author_id', type: 'INTEGER', nullable: false, defaultSql: null },
      { name: 'title', type: 'TEXT', nullable: false, defaultSql: "'untitled'" },
    ]);
    // REFERENCES author names no column: it references author's primary key
    expect(book.foreignKeys).toEqual([
      { name: 'book_fk_0', table: 'book', columns: ['author_id'], referencedTable: 'author', referencedColumns: ['id'], onDelete: 'CASCADE', validated: true },
    ]);
    const author = introspector.tableSync('author')!;
    expect(author.columns.find((c) => c.name === 'name_lower')).toMatchObject({ generated: true });
    expect(author.indexes.map(({ name, columns, unique, definition }) => ({ name, columns, unique, made: definition !== '' }))).toEqual([
      { name: 'author_expr', columns: ['<expr>'], unique: false, made: true },
      { name: 'sqlite_autoindex_author_1', columns: ['name'], unique: true, made: false },
    ]);
    expect(introspector.tableSync('mfmig_notes')).toBeUndefined();
    expect(introspector.tableSync('nothing')).toBeUndefined();
    adapter.close();
  });

  it('gives the knowledge base at MVP5 the same tables, keys and references as the PostgreSQL introspector', async () => {
    const sqliteSet = await loadMigrations(REAL_MIGRATIONS);
    const onSqlite = await withReplayedDatabase(sqliteSet, sqliteSet.migrations, [], (conn, result) => {
      expect(result.error).toBeUndefined();
      const introspector = conn.introspector;
      const tables = introspector.tablesSync();
      // the one-query reader the runner's checks use gives the same keys as the per-table one
      const byKey = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect(introspector.foreignKeysSync().sort(byKey)).toEqual(tables.flatMap((t) => t.foreignKeys).sort(byKey));
      return tables;
    });
    const postgresSet = await loadMigrations(REAL_MIGRATIONS, { dialect: 'postgres' });
    const rehearsal = await rehearse(await scratchDatabase(), postgresSet, {
      toVersion: 17,
      participants: [createConnectionTransformer()],
      work: (conn) => conn.introspector.tables(),
    });
    expect(rehearsal.run.error).toBeUndefined();
    expect(onSqlite.length).toBeGreaterThan(20);
    expect(shape(onSqlite)).toEqual(shape(rehearsal.value!));
  });
});
