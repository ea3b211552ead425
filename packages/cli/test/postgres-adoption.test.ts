import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** Every relation outside the system schemas, and every row of `accounts`: what "left unchanged" compares. */
async function state(url: string): Promise<unknown> {
  const relations = await rows(
    url,
    `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
  );
  const schemas = await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1`);
  const accounts = (await rows(url, "SELECT to_regclass('public.accounts') IS NOT NULL AS ok"))[0]?.ok
    ? await rows(url, 'SELECT * FROM accounts ORDER BY id')
    : [];
  return { relations, schemas, accounts };
}

/** A schema an application made before mfmig: `accounts` with rows, and a table no migration knows. */
async function existingDatabase(extra = ''): Promise<string> {
  const url = await scratchDatabase();
  await rows(url, `CREATE TABLE accounts (id integer PRIMARY KEY, email text${extra}); INSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x');`);
  return url;
}

/** Migrations written as other projects write them: `IF NOT EXISTS`, then a data step that would wipe the rows. */
function folder(): string {
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_accounts.sql': sqlMigration('CREATE TABLE IF NOT EXISTS accounts (id integer PRIMARY KEY, email text);', 'DROP TABLE accounts;'),
    'mvp1/0002_reset.sql': sqlMigration("DELETE FROM accounts;\nINSERT INTO accounts VALUES (100, 'seed@x');"),
    'mvp1/0003_audit.sql': sqlMigration('CREATE TABLE audit (id bigserial PRIMARY KEY, note text);', 'DROP TABLE audit;'),
  });
  return dir;
}

describe('a PostgreSQL schema made before mfmig', () => {
  it('is refused by migrate (exit 3), plain and --dry-run, with every table, row and schema left as it was', async () => {
    const url = await existingDatabase();
    const dir = folder();
    const before = await state(url);
    for (const extra of [[], ['--dry-run']]) {
      const run = mfmig(dir, ['--db', url, '--json', 'migrate', ...extra]);
      expect([run.code, run.json.error.code]).toEqual([3, 'ADOPTION_REQUIRED']);
      expect(await state(url)).toEqual(before);
    }
    // status says so beforehand, reading the catalogs only; --exit-code makes it fail a CI step
    const status = mfmig(dir, ['--db', url, '--json', 'status', '--exit-code']);
    expect([status.code, status.json.problems.map((p: { code: string }) => p.code)]).toEqual([1, ['UNADOPTED_SCHEMA']]);
    expect(await state(url)).toEqual(before);
  });

  it('is adopted by baseline at the version it matches, after which migrate applies only newer migrations', async () => {
    const url = await existingDatabase();
    const dir = folder();
    const before = await state(url);
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    // versions 1 and 2 differ only in data: the version must be stated
    const ambiguous = cli('baseline');
    expect([ambiguous.code, ambiguous.json.error.code]).toEqual([3, 'ADOPTION_REFUSED']);
    const dry = cli('baseline', '--to', '2', '--dry-run');
    expect([dry.code, dry.json.version, dry.json.matched, dry.json.candidates, dry.json.recorded]).toEqual([0, 2, 'exact', [1, 2], []]);
    expect(await state(url)).toEqual(before);
    const adopted = cli('baseline', '--to', '2');
    expect([adopted.code, adopted.json.recorded]).toEqual([0, [1, 2]]);
    expect(cli('status').json.problems).toEqual([]);
    const up = cli('migrate');
    expect([up.code, up.json.migrations.map((m: { version: number }) => m.version)]).toEqual([0, [3]]);
    expect(await rows(url, 'SELECT id, email FROM accounts ORDER BY id')).toEqual([
      { id: 1, email: 'a@x' },
      { id: 2, email: 'b@x' },
    ]);
    const again = cli('baseline', '--to', '2');
    expect([again.code, again.json.error.code]).toEqual([3, 'ADOPTION_REFUSED']);
    const history = cli('history');
    expect(history.json.audit.map((a: { action: string; version: number }) => [a.action, a.version])).toEqual([['baseline', 2]]);
  });

  it('needs --force when its schema differs from the stated version, and writes nothing without it', async () => {
    const url = await existingDatabase(', plan text');
    const dir = folder();
    const before = await state(url);
    const refused = mfmig(dir, ['--db', url, '--json', 'baseline', '--to', '1']);
    expect([refused.code, refused.json.error.code]).toEqual([3, 'ADOPTION_REFUSED']);
    expect(await state(url)).toEqual(before);
    const forced = mfmig(dir, ['--db', url, '--json', 'baseline', '--to', '1', '--force']);
    expect([forced.code, forced.json.matched, forced.json.differences.length]).toEqual([0, 'forced', 1]);
  });

  it('is migrated when it holds only tables no migration creates', async () => {
    const url = await scratchDatabase();
    await rows(url, 'CREATE TABLE sessions (id int); INSERT INTO sessions VALUES (7);');
    const run = mfmig(folder(), ['--db', url, '--json', 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(await rows(url, 'SELECT id FROM sessions')).toEqual([{ id: 7 }]);
    expect(await rows(url, 'SELECT id FROM accounts')).toEqual([{ id: 100 }]);
  });

  it('adopts the real knowledge base left at MVP2 without its history, then migrates it to MVP5 keeping every row', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const cli = (...args: string[]) => mfmig(tempDir(), ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...args]);
    expect(cli('--yes', 'migrate', '--to-mvp', '2').code).toBe(0);
    const at = (await rows(url, 'SELECT max(version)::int AS v FROM mfmig_history'))[0]!.v as number;
    await rows(
      url,
      "INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at) VALUES ('t', 'p', 's', 'JCL', '2026-01-01', '2026-01-01')",
    );
    await rows(url, 'DROP TABLE mfmig_history, mfmig_audit, mfmig_lock');
    const refused = cli('--yes', 'migrate');
    expect([refused.code, refused.json.error.code]).toEqual([3, 'ADOPTION_REQUIRED']);
    const adopted = cli('baseline', '--to', String(at));
    expect([adopted.code, adopted.json.matched], adopted.stderr).toEqual([0, 'exact']);
    const up = cli('--yes', 'migrate');
    expect(up.code, up.stderr).toBe(0);
    expect(cli('status').json.currentMvp).toBe(5);
    expect(await rows(url, "SELECT title FROM kb_entries WHERE problem = 'p'")).toEqual([{ title: 't' }]);
  });
});
