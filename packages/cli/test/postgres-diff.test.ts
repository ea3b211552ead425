import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, openPostgres } from '@mfmig/core';
import { rehearsalEstimate } from '@mfmig/planner';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import type { CliRuntime } from '../src/runtime.js';
import { postgresDrift } from '../src/postgres/postgres-diff.js';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const FILES = {
  'mvp1/0001_accounts.sql': sqlMigration(
    'CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL);\nCREATE UNIQUE INDEX accounts_email ON accounts (email);',
  ),
  'mvp1/0002_notes.sql': sqlMigration(
    'ALTER TABLE accounts ADD COLUMN display_name text;\nCREATE TABLE notes (id serial PRIMARY KEY, account_id integer REFERENCES accounts (id), body text);',
  ),
  'mvp1/0003_drop_email.sql': sqlMigration('ALTER TABLE accounts DROP COLUMN email;'),
};

interface Change {
  kind: string;
  object: string;
  column?: string;
  compatibility: string;
}

const summary = (changes: Change[]) => changes.map((c) => [c.kind, c.object, c.column ?? null, c.compatibility]);

const scratchSchemas = (url: string) =>
  withClient(url, async (c) => (await c.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal_%'")).rows);

/** Relations and columns of every schema: what "diff wrote nothing" compares. */
const catalog = (url: string) =>
  withClient(url, async (c) => ({
    relations: (
      await c.query(`SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg_%' ORDER BY 1, 2`)
    ).rows,
    columns: (await c.query(`SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2, 3`))
      .rows,
  }));

/** Just what the PostgreSQL helpers read of the command line: the URL and the interruption signal. */
const fakeCli = (url: string) => ({ globals: { db: url }, signal: new AbortController().signal }) as unknown as CliRuntime;

describe('mfmig diff on PostgreSQL', () => {
  it('--from 1 --to 2 names the added column and table, --from 2 --to 3 flags the dropped column as breaking; exit 0', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const up = mfmig(dir, ['--db', url, '--json', 'diff', '--from', '1', '--to', '2']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.json).toMatchObject({ dialect: 'postgres', from: 1, to: 2, identical: false, tables: { added: ['notes'] } });
    expect(summary(up.json.changes)).toEqual([
      ['table-added', 'notes', null, 'compatible'],
      ['column-added', 'accounts', 'display_name', 'compatible'],
    ]);
    const down = mfmig(dir, ['--db', url, 'diff', '--from', '2', '--to', '3']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/- column accounts\.email dropped \(email text NOT NULL\)\s+BREAKING: dropped column/);
    expect(down.stdout).toContain('- index accounts_email on accounts (email) UNIQUE dropped');
    const same = mfmig(dir, ['--db', url, '--json', 'diff', '--from', '0', '--to', '0']);
    expect([same.code, same.json.identical, same.json.changes]).toEqual([0, true, []]);
    expect(await scratchSchemas(url)).toEqual([]);
  });

  it('--from 2 --to live names a column added by hand; the live database is left as it was', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '2']).code).toBe(0);
    const clean = mfmig(dir, ['--db', url, '--json', 'diff', '--from', '2']);
    expect([clean.code, clean.json.to, clean.json.changes], clean.stderr).toEqual([0, 'live', []]);
    await withClient(url, (c) => c.query('ALTER TABLE accounts ADD COLUMN nickname text'));
    const before = await catalog(url);
    const drifted = mfmig(dir, ['--db', url, '--json', 'diff', '--from', '2', '--to', 'live']);
    expect(drifted.code, drifted.stderr).toBe(0);
    expect(summary(drifted.json.changes)).toEqual([['column-added', 'accounts', 'nickname', 'compatible']]);
    const human = mfmig(dir, ['--db', url, 'diff', '--from', '2', '--to', 'live']);
    expect(human.stdout).toContain('+ column accounts.nickname text added');
    expect(await catalog(url)).toEqual(before);
    expect(await scratchSchemas(url)).toEqual([]);
    const conn = await openPostgres(url);
    try {
      const drift = await postgresDrift(fakeCli(url), conn, await loadMigrations(`${dir}/migrations`, { dialect: 'postgres' }), 2);
      expect(summary(drift)).toEqual([['column-added', 'accounts', 'nickname', 'compatible']]);
    } finally {
      await conn.close();
    }
  });

  it('an unknown version fails with its message and leaves no scratch schema', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const run = mfmig(dir, ['--db', url, 'diff', '--from', '7']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Unknown target version 7');
    expect(await scratchSchemas(url)).toEqual([]);
  });
});

describe('rehearsalEstimate on PostgreSQL', () => {
  it('times a pending step on 500 of 5,000 live rows and scales it by about 10', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_big.sql': sqlMigration(
        'CREATE TABLE big (id bigint PRIMARY KEY, v integer);\nCREATE TABLE small (id bigint PRIMARY KEY, big_id bigint REFERENCES big (id));',
      ),
      'mvp1/0002_big_w.sql': sqlMigration('ALTER TABLE big ADD COLUMN w integer;\nUPDATE big SET w = v * 2;'),
      'mvp1/0003_other.sql': sqlMigration('CREATE TABLE other (id integer);'),
    });
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    await withClient(url, (c) =>
      c.query('INSERT INTO big SELECT g, g FROM generate_series(1, 5000) g; INSERT INTO small SELECT g, g * 100 FROM generate_series(1, 40) g'),
    );
    const before = await catalog(url);
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(`${dir}/migrations`, { dialect: 'postgres' });
      const estimate = await rehearsalEstimate(url, conn, migrations, { latest: true }, { sampleRows: 500 });
      expect(estimate.fromVersion).toBe(1);
      expect(estimate.sampled).toEqual([
        { table: 'big', rows: 500, liveRows: 5000 },
        { table: 'small', rows: 5, liveRows: 40 },
      ]);
      expect(estimate.steps.map((s) => [s.version, s.name, s.tables])).toEqual([
        [2, 'big_w', ['big']],
        [3, 'other', []],
      ]);
      const [big, other] = estimate.steps;
      expect(big!.scale).toBeCloseTo(10, 5);
      // the part of its time that does not grow with the rows, timed on empty tables, is not scaled
      expect(big!.fixedMs).toBeGreaterThan(0);
      expect(big!.fixedMs).toBeLessThanOrEqual(big!.sampleMs);
      expect(big!.estimatedMs).toBeCloseTo(big!.fixedMs + (big!.sampleMs - big!.fixedMs) * 10, 5);
      expect([other!.scale, other!.fixedMs, other!.estimatedMs]).toEqual([1, 0, other!.sampleMs]);
      expect(estimate.estimatedMs).toBeCloseTo(big!.estimatedMs + other!.estimatedMs, 5);
      expect(await catalog(url)).toEqual(before);
      expect(await scratchSchemas(url)).toEqual([]);
    } finally {
      await conn.close();
    }
  });
});
