// Schema diff and drift on PostgreSQL through @mfmig/schema-evolution alone: a version's schema comes
// from a rehearsal in a scratch schema, compared with another version's or with the live tables,
// breaking changes flagged; nothing is written to the live schema and no scratch schema is left.
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { detectPostgresDrift, postgresSchemaDiff, postgresVersionTables } from '@mfmig/schema-evolution';
import { dropScratchDatabases, postgresContents, scratchDatabase, tempTree } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const FILES = {
  'mvp1/0001_accounts.sql':
    '-- migrate:up\nCREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL, nickname text);\n-- migrate:down\nDROP TABLE accounts;\n',
  'mvp1/0002_notes.sql':
    '-- migrate:up\nCREATE TABLE notes (id integer PRIMARY KEY, account_id integer REFERENCES accounts (id));\nCREATE INDEX notes_account ON notes (account_id);\n-- migrate:down\nDROP TABLE notes;\n',
  'mvp2/0003_drop_nickname.sql': '-- migrate:up\nALTER TABLE accounts DROP COLUMN nickname;\n-- migrate:down\nALTER TABLE accounts ADD COLUMN nickname text;\n',
};

describe('PostgreSQL schema diff and drift', () => {
  it('diffs two versions and the live schema, flags the dropped column as breaking, and names drift made outside mfmig', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate()).error).toBeUndefined();
      const before = await postgresContents(url);

      const at = await postgresVersionTables(url, migrations, [1, 2, 3]);
      const grew = postgresSchemaDiff(at.get(1)!, at.get(2)!);
      // a new table brings its indexes with it: they are not listed again
      expect([grew.identical, grew.tables.added, grew.indexes.added, grew.breaking]).toEqual([false, ['notes'], [], []]);
      expect(
        at
          .get(2)!
          .find((t) => t.name === 'notes')!
          .indexes.map((i) => i.name),
      ).toContain('notes_account');
      const shrank = postgresSchemaDiff(at.get(2)!, at.get(3)!);
      expect(shrank.breaking.map((c) => [c.kind, c.object])).toEqual([['column-removed', 'accounts']]);
      expect(postgresSchemaDiff(at.get(3)!, await conn.introspector.tables()).identical).toBe(true);
      expect(await detectPostgresDrift(conn, url, migrations, 3)).toEqual([]);
      expect(await postgresContents(url)).toEqual(before);

      await conn.execute('ALTER TABLE notes ADD COLUMN body text');
      const drift = await detectPostgresDrift(conn, url, migrations, 3);
      expect(drift.map((c) => [c.kind, c.object, c.compatibility])).toEqual([['column-added', 'notes', 'compatible']]);
    } finally {
      await conn.close();
    }
  });
});
