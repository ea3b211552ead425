// Migration folders written the way Flyway projects write them (`V<n>__` files and their `U<n>__`
// undos), shared by the runner tests of several packages.

/** Flyway's `V<n>__` file is version n * 1,000,000. */
export const V = (n: number) => n * 1_000_000;

/** Versioned files that move rows, and their undos. */
export const NOTES_AND_TAGS = {
  'V1__notes.sql': "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO notes (id, body) VALUES (1, 'a'), (2, 'b'), (3, 'c');",
  'U1__notes.sql': 'DROP TABLE notes;',
  'V2__tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO tags (id, name) SELECT id, body FROM notes;',
  'U2__tags.sql': 'DROP TABLE tags;',
  'V3__index.sql': 'CREATE INDEX tags_name ON tags (name);',
  'U3__index.sql': 'DROP INDEX tags_name;',
};

/** A parent and a child table with `ON DELETE CASCADE`, and a seed whose undo deletes the parent row: its two books go by the cascade. */
export const AUTHORS_SEED = {
  'V1__authors.sql':
    'CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n' +
    'CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE);',
  'U1__authors.sql': 'DROP TABLE books;\nDROP TABLE authors;',
  'V2__seed.sql': "INSERT INTO authors (id, name) VALUES (1, 'house');\nINSERT INTO books (id, author_id) VALUES (1, 1), (2, 1);",
  'U2__seed.sql': 'DELETE FROM authors WHERE id = 1;',
};

/**
 * A seed whose undo counts on `ON DELETE CASCADE`, and a later table rebuild whose undo runs with
 * foreign keys off, as SQLite's documentation writes one. In one transaction both would run with
 * foreign keys off (the switch is a no-op inside it), and the seed's undo would leave orphans.
 */
export const CASCADE_UNDER_REBUILD = {
  ...AUTHORS_SEED,
  'V3__email.sql': 'ALTER TABLE authors ADD COLUMN email TEXT;',
  'U3__email.sql':
    'PRAGMA foreign_keys=OFF;\nCREATE TABLE new_authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n' +
    'INSERT INTO new_authors (id, name) SELECT id, name FROM authors;\nDROP TABLE authors;\nALTER TABLE new_authors RENAME TO authors;',
};

/**
 * A table rebuild written as SQLite's documentation writes one (`PRAGMA foreign_keys=OFF` first),
 * then a migration that renumbers the authors and counts on `ON UPDATE CASCADE` to carry their
 * books along. The real run passes: V3 runs with foreign keys on. A dry run that ran every step
 * with them off (the switch is a no-op inside a transaction) would leave the books pointing at
 * the old numbers, and fail V3.
 */
export const CASCADE_AFTER_REBUILD = {
  'V1__authors.sql':
    'CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n' +
    'CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON UPDATE CASCADE);\n' +
    "INSERT INTO authors (id, name) VALUES (1, 'house'), (2, 'guest');\nINSERT INTO books (id, author_id) VALUES (1, 1), (2, 1), (3, 2);",
  'V2__rebuild.sql':
    'PRAGMA foreign_keys=OFF;\nCREATE TABLE new_authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n' +
    'INSERT INTO new_authors (id, name) SELECT id, name FROM authors;\nDROP TABLE authors;\nALTER TABLE new_authors RENAME TO authors;\nPRAGMA foreign_keys=ON;',
  'V3__renumber.sql': 'UPDATE authors SET id = id + 100;',
};
