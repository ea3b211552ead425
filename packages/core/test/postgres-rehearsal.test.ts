import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type ColumnInfo, type TableInfo, compareSchemas, loadMigrations, rehearse } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempTree, withClient } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const sql = (up: string) => `-- migrate:up\n${up}\n-- migrate:down\n`;

const folder = tempTree;

const FILES = {
  'mvp1/0001_accounts.sql': sql('CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL);'),
  'mvp1/0002_notes.sql': sql('CREATE TABLE notes (id serial PRIMARY KEY, account_id integer REFERENCES accounts (id), body text);'),
  'mvp1/0003_flag.sql': sql('ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true;'),
};

/** Every schema, relation, column, constraint and sequence of the database, and the rows of `public.accounts`. */
async function catalog(url: string): Promise<unknown> {
  return withClient(url, async (c) => {
    const q = async (text: string) => (await c.query(text)).rows;
    return {
      schemas: await q("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY 1"),
      relations: await q(`SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`),
      columns: await q(`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3`),
      constraints: await q(`SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1, 2`),
      sequences: await q('SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2'),
      accounts: await q('SELECT * FROM public.accounts ORDER BY id'),
    };
  });
}

/** Polls `ready` every 100 ms, up to 20 s. */
async function until(ready: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out waiting');
}

const scratchSchemas = (url: string) =>
  withClient(url, async (c) => (await c.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal_%'")).rows);

/** A database whose `public` schema already holds a live `accounts` table with rows (as after migration 1). */
async function liveDatabase(): Promise<string> {
  const url = await scratchDatabase();
  await withClient(url, (c) =>
    c.query("CREATE TABLE public.accounts (id serial PRIMARY KEY, email text NOT NULL); INSERT INTO public.accounts (email) VALUES ('a@x'), ('b@x')"),
  );
  return url;
}

describe('rehearse on PostgreSQL', () => {
  it('migrates a scratch schema, hands it to work, then drops it; the live schema is untouched', async () => {
    const url = await liveDatabase();
    const migrations = await loadMigrations(folder(FILES), { dialect: 'postgres' });
    const before = await catalog(url);
    const rehearsal = await rehearse(url, migrations, {
      toVersion: 3,
      work: async (conn) => ({ tables: await conn.introspector.tables(), path: await conn.query<{ p: string }>('SHOW search_path') }),
    });
    expect(rehearsal.schema).toMatch(/^mfmig_rehearsal_[0-9a-f]{12}$/);
    expect(rehearsal.run.results.map((r) => [r.version, r.status])).toEqual([
      [1, 'Success'],
      [2, 'Success'],
      [3, 'Success'],
    ]);
    expect(rehearsal.value!.tables.map((t) => t.name)).toEqual(['accounts', 'notes']);
    expect(rehearsal.value!.tables[0]!.columns.map((c) => c.name)).toEqual(['id', 'email', 'active']);
    expect(Object.values(rehearsal.value!.path[0]!)[0]).toBe(rehearsal.schema);
    expect(await scratchSchemas(url)).toEqual([]);
    expect(await catalog(url)).toEqual(before);
  });

  it('drops the scratch schema after a failing migration, and after a throw in work, and rethrows', async () => {
    const url = await liveDatabase();
    const before = await catalog(url);
    const failing = await loadMigrations(folder({ ...FILES, 'mvp1/0004_bad.sql': sql('ALTER TABLE accounts ADD COLUMN x nosuchtype;') }), {
      dialect: 'postgres',
    });
    await expect(rehearse(url, failing, { toVersion: 4 })).rejects.toThrow(/nosuchtype/);
    expect(await scratchSchemas(url)).toEqual([]);
    const migrations = await loadMigrations(folder(FILES), { dialect: 'postgres' });
    await expect(rehearse(url, migrations, { toVersion: 2, work: async () => Promise.reject(new Error('boom')) })).rejects.toThrow('boom');
    expect(await scratchSchemas(url)).toEqual([]);
    const aborted = new AbortController();
    aborted.abort();
    await expect(rehearse(url, migrations, { toVersion: 3, signal: aborted.signal })).rejects.toThrow(/Interrupted/);
    expect(await scratchSchemas(url)).toEqual([]);
    expect(await catalog(url)).toEqual(before);
  });

  it('a migration that names a table it did not create cannot reach the live table of the same name', async () => {
    const url = await liveDatabase();
    const before = await catalog(url);
    const migrations = await loadMigrations(folder({ 'mvp1/0001_drop.sql': sql('DROP TABLE IF EXISTS accounts;\nCREATE TABLE other (id integer);') }), {
      dialect: 'postgres',
    });
    const rehearsal = await rehearse(url, migrations, { toVersion: 1, work: (conn) => conn.introspector.tables() });
    expect(rehearsal.value!.map((t) => t.name)).toEqual(['other']);
    expect(await catalog(url)).toEqual(before);
  });

  it('drops the scratch schema a killed process left behind, and never one whose session is still alive', { timeout: 60_000 }, async () => {
    const url = await scratchDatabase();
    const dir = folder({ 'mvp1/0001_slow.sql': sql('CREATE TABLE t (id int);\nSELECT pg_sleep(30);') });
    const core = pathToFileURL(join(import.meta.dirname, '../dist/index.js')).href;
    const script = `import { loadMigrations, rehearse } from ${JSON.stringify(core)};
      await rehearse(${JSON.stringify(url)}, await loadMigrations(${JSON.stringify(dir)}), { toVersion: 1 });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const sleeping = () => withClient(url, async (c) => (await c.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")).rows.length);
    await until(async () => (await sleeping()) > 0);
    child.kill('SIGKILL');
    // the server notices the dead client at its next connection check and ends the session
    await until(async () => (await sleeping()) === 0);
    const left = await scratchSchemas(url);
    expect(left).toHaveLength(1);
    await withClient(url, async (c) => {
      // a rehearsal under way in another session: marked with a backend that is alive (this one)
      await c.query('CREATE SCHEMA mfmig_rehearsal_a11ve0000000');
      const { rows } = await c.query(
        `SELECT 'mfmig rehearsal; backend ' || pg_backend_pid() || '; server ' || coalesce(host(inet_server_addr()), 'socket') || ':' || coalesce(inet_server_port()::text, current_setting('port')) AS tag`,
      );
      await c.query(`COMMENT ON SCHEMA mfmig_rehearsal_a11ve0000000 IS '${rows[0].tag}'`);
      await rehearse(url, await loadMigrations(folder(FILES)), { toVersion: 1 });
      expect(await scratchSchemas(url)).toEqual([{ nspname: 'mfmig_rehearsal_a11ve0000000' }]);
    });
  });

  it('version 0 is the empty schema; a sample copies live rows, parents first, children of copied parents only', async () => {
    const url = await liveDatabase();
    await withClient(url, (c) =>
      c.query(`CREATE TABLE public.notes (id serial PRIMARY KEY, account_id integer REFERENCES public.accounts (id), body text);
        INSERT INTO public.notes (account_id, body) VALUES (2, 'n1'), (1, 'n2'), (NULL, 'n3')`),
    );
    const migrations = await loadMigrations(folder(FILES), { dialect: 'postgres' });
    const empty = await rehearse(url, migrations, { toVersion: 0, work: (conn) => conn.introspector.tables() });
    expect(empty.value).toEqual([]);
    const sampled = await rehearse(url, migrations, {
      toVersion: 2,
      sample: { fromSchema: 'public', rows: 1 },
      work: (conn) =>
        conn.query(
          "SELECT (SELECT count(*)::int FROM accounts) AS a, (SELECT count(*)::int FROM notes) AS n, (SELECT min(body) FROM notes) AS note, nextval('accounts_id_seq')::int AS next",
        ),
    });
    expect(sampled.sampled).toEqual([
      { table: 'accounts', rows: 1 },
      { table: 'notes', rows: 1 },
    ]);
    // the first note names account 2, which the sample left out: the first note of account 1 stands in
    expect(sampled.value).toEqual([{ a: 1, n: 1, note: 'n2', next: 2 }]);
    expect(await scratchSchemas(url)).toEqual([]);
  });
});

const col = (name: string, type = 'integer', nullable = true, defaultSql: string | null = null): ColumnInfo => ({ name, type, nullable, defaultSql });
const table = (name: string, columns: ColumnInfo[], extra: Partial<TableInfo> = {}): TableInfo => ({
  name,
  columns,
  indexes: [],
  foreignKeys: [],
  primaryKey: [],
  ...extra,
});
const summary = (from: TableInfo[], to: TableInfo[]) => compareSchemas(from, to).map((c) => [c.kind, c.object, c.column ?? null, c.compatibility]);

describe('compareSchemas', () => {
  it('tables added and dropped', () => {
    expect(summary([table('a', [col('id')])], [table('b', [col('id')])])).toEqual([
      ['table-removed', 'a', null, 'breaking'],
      ['table-added', 'b', null, 'compatible'],
    ]);
  });

  it('columns added, dropped, renamed and changed, classified as on SQLite', () => {
    const before = table('t', [col('id', 'integer', false), col('name', 'character varying(20)'), col('old'), col('code', 'text'), col('n', 'bigint')], {
      primaryKey: ['id'],
    });
    const after = table(
      't',
      [
        col('id', 'integer', false),
        col('name', 'text', false, "''::text"),
        col('renamed'),
        col('code', 'integer'),
        col('n', 'bigint', true, '0'),
        col('req', 'text', false),
        col('opt'),
      ],
      {
        primaryKey: ['id'],
      },
    );
    expect(summary([before], [after])).toEqual([
      ['column-renamed', 't', 'renamed', 'breaking'],
      ['column-added', 't', 'req', 'breaking'],
      ['column-added', 't', 'opt', 'compatible'],
      ['column-type-changed', 't', 'name', 'compatible'],
      ['column-nullability-changed', 't', 'name', 'compatible'],
      ['column-default-changed', 't', 'name', 'compatible'],
      ['column-type-changed', 't', 'code', 'breaking'],
      ['column-default-changed', 't', 'n', 'compatible'],
    ]);
    expect(
      summary(
        [after],
        [
          table(
            't',
            after.columns.filter((c) => c.name !== 'opt'),
            { primaryKey: ['id'] },
          ),
        ],
      ),
    ).toEqual([['column-removed', 't', 'opt', 'breaking']]);
  });

  it('indexes and keys: a UNIQUE index and a new foreign key break, a plain index and a dropped key do not; schema qualifiers are ignored', () => {
    const index = (name: string, unique: boolean, schema = 'public') => ({
      name,
      table: 't',
      columns: ['a'],
      unique,
      valid: true,
      definition: `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${schema}.t USING btree (a)`,
    });
    const fk = { name: 't_a_fkey', table: 't', columns: ['a'], referencedTable: 'p', referencedColumns: ['id'], onDelete: 'NO ACTION', validated: true };
    const pkey = { ...index('t_pkey', true), columns: ['id'] };
    const base = table('t', [col('id'), col('a')], { primaryKey: ['id'], indexes: [pkey, index('t_plain', false)] });
    const same = { ...base, indexes: [pkey, index('t_plain', false, 'mfmig_rehearsal_00')] };
    expect(compareSchemas([base], [same])).toEqual([]);
    const next = { ...base, indexes: [pkey, index('t_u', true)], foreignKeys: [fk] };
    expect(summary([base], [next])).toEqual([
      ['foreign-key-added', 't', null, 'breaking'],
      ['index-added', 't_u', null, 'breaking'],
      ['index-removed', 't_plain', null, 'compatible'],
    ]);
    expect(summary([next], [{ ...next, foreignKeys: [{ ...fk, onDelete: 'CASCADE' }] }])).toEqual([['foreign-key-action-changed', 't', null, 'breaking']]);
    expect(summary([next], [{ ...next, foreignKeys: [] }])).toEqual([['foreign-key-removed', 't', null, 'compatible']]);
    const widerKey = { ...base, primaryKey: ['id', 'a'], indexes: [{ ...pkey, columns: ['id', 'a'] }, index('t_plain', false)] };
    expect(summary([base], [widerKey])).toEqual([['primary-key-changed', 't', null, 'breaking']]);
  });
});
