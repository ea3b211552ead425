// A PostgreSQL schema another migration tool has been migrating (Prisma, Flyway, knex) carries that
// tool's history table beside the application's tables. `mfmig baseline` adopts it at the version
// whose schema matches the application's tables, that tool's tables left out of the comparison and
// left as they are; `status` then reports no drift, and `migrate` applies only newer migrations.
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** What each tool leaves beside the application's tables, as it creates it on PostgreSQL, with one applied migration. */
const TOOLS: Record<string, string> = {
  prisma: `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz,
      migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(),
      applied_steps_count integer NOT NULL DEFAULT 0);
    INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
      VALUES ('0b9c', 'c0ffee', now(), '20240101000000_init', 1);`,
  flyway: `CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL CONSTRAINT flyway_schema_history_pk PRIMARY KEY,
      version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer,
      installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL);
    CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success);
    INSERT INTO flyway_schema_history VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', 42, 'app', now(), 10, true);`,
  knex: `CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz);
    CREATE TABLE knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);
    INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101_init.js', 1, now());
    INSERT INTO knex_migrations_lock (is_locked) VALUES (0);`,
};

/** The application's tables at version 2 of {@link folder}, with rows. */
const APP_AT_V2 = `CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL);
  CREATE TABLE notes (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts (id), body text);
  INSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x');
  INSERT INTO notes VALUES (10, 1, 'kept');`;

function folder(): string {
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_accounts.sql': sqlMigration('CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL);', 'DROP TABLE accounts;'),
    'mvp1/0002_notes.sql': sqlMigration(
      'CREATE TABLE notes (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts (id), body text);',
      'DROP TABLE notes;',
    ),
    'mvp2/0003_tags.sql': sqlMigration('CREATE TABLE tags (id integer PRIMARY KEY, name text NOT NULL);', 'DROP TABLE tags;'),
  });
  return dir;
}

const toolTables = (url: string) =>
  rows(
    url,
    `SELECT table_name AS t FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name ~ '^(_prisma_migrations|flyway_schema_history|knex_migrations.*)$' ORDER BY 1`,
  );

describe('a PostgreSQL schema another migration tool has been migrating', () => {
  for (const [tool, ddl] of Object.entries(TOOLS)) {
    it(`is adopted by baseline when ${tool} migrated it, its history table left out of the comparison and untouched`, async () => {
      const url = await scratchDatabase();
      await rows(url, `${APP_AT_V2}\n${ddl}`);
      const dir = folder();
      const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
      const before = { tables: await toolTables(url), rows: await Promise.all((await toolTables(url)).map((r) => rows(url, `SELECT * FROM ${r.t}`))) };

      // the tool's history names migrations this folder holds under other names (or not at all): it cannot say the version
      const refused = cli('migrate');
      expect([refused.code, refused.json.error.code]).toEqual([3, 'ADOPTION_REFUSED']);
      const adopted = cli('baseline');
      expect([adopted.code, adopted.json.version, adopted.json.matched, adopted.json.recorded]).toEqual([0, 2, 'exact', [1, 2]]);
      expect(adopted.json.leftOut).toEqual(before.tables.map((r) => r.t));
      const status = cli('status');
      expect([status.code, status.json.problems, status.json.drift?.hasDrift ?? false]).toEqual([0, [], false]);
      const up = cli('migrate');
      expect([up.code, up.json.migrations.map((m: { version: number }) => m.version)]).toEqual([0, [3]]);
      expect(await rows(url, 'SELECT id, account_id, body FROM notes')).toEqual([{ id: 10, account_id: 1, body: 'kept' }]);
      const after = { tables: await toolTables(url), rows: await Promise.all((await toolTables(url)).map((r) => rows(url, `SELECT * FROM ${r.t}`))) };
      expect(after).toEqual(before);
    });
  }

  it('compares a table named like another tool’s history table when the migrations create it themselves', async () => {
    const url = await scratchDatabase();
    // the application's own `schema_migrations`, created by its migration 1, with a column the live one lacks
    await rows(url, 'CREATE TABLE schema_migrations (version bigint PRIMARY KEY);');
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_own_ledger.sql': sqlMigration('CREATE TABLE schema_migrations (version bigint PRIMARY KEY, note text);', 'DROP TABLE schema_migrations;'),
    });
    const run = mfmig(dir, ['--db', url, '--json', 'baseline']);
    expect([run.code, run.json.error.code]).toEqual([3, 'ADOPTION_REFUSED']);
  });
});
