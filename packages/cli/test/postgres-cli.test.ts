import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, mfmigAsync, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

/** Every relation, column and constraint of the database's user schemas: what "exactly as before" compares. */
async function catalog(url: string): Promise<unknown> {
  return withClient(url, async (c) => {
    const relations = await c.query(
      `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
    );
    const columns = await c.query(
      `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3`,
    );
    const constraints = await c.query(
      `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1, 2`,
    );
    return { relations: relations.rows, columns: columns.rows, constraints: constraints.rows };
  });
}

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

describe('mfmig on PostgreSQL', () => {
  it('migrates to the latest version and reports it in status --json, in a schema whose name needs quoting', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE "Note ""Book""" (id bigserial PRIMARY KEY, body text NOT NULL);', 'DROP TABLE "Note ""Book""";'),
      'mvp1/0002_seed.sql': sqlMigration(`INSERT INTO "Note ""Book""" (body) VALUES ('a;b'), ($$c;d$$);`),
      'mvp2/0003_tags.sql': sqlMigration('CREATE TABLE tags (note_id bigint REFERENCES "Note ""Book""" (id), tag text);'),
    });
    const schema = 'Sales "Team"';
    const run = mfmig(dir, ['--db', url, '--schema', schema, '--json', 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.toVersion).toBe(3);
    const status = mfmig(dir, ['--db', url, '--schema', schema, '--json', 'status']);
    expect([status.code, status.json.currentVersion, status.json.currentMvp, status.json.pending.length]).toEqual([0, 3, 2, 0]);
    expect(await rows(url, `SELECT body FROM "Sales ""Team"""."Note ""Book""" ORDER BY id`)).toEqual([{ body: 'a;b' }, { body: 'c;d' }]);
    expect((await rows(url, `SELECT version FROM "Sales ""Team""".mfmig_history ORDER BY version`)).map((r) => Number(r.version))).toEqual([1, 2, 3]);
    // the public schema is untouched
    expect(await rows(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).toEqual([]);
    const again = mfmig(dir, ['--db', url, '--schema', schema, '--json', 'migrate']);
    expect([again.code, again.json.migrations.length]).toEqual([0, 0]);
  });

  it('leaves the schema exactly as before when a migration fails in its third statement', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_base.sql': sqlMigration(
        "CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL);\nINSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x');",
      ),
    });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    const before = await catalog(url);
    const dataBefore = await rows(url, 'SELECT * FROM accounts ORDER BY id');
    writeMigrations(dir, {
      'mvp1/0002_breaks.sql': sqlMigration(
        'CREATE TABLE audit_trail (id bigserial PRIMARY KEY, note text);\nALTER TABLE accounts ADD COLUMN plan text;\nUPDATE accounts SET email = NULL WHERE id = 2;\nCREATE INDEX accounts_plan ON accounts (plan);',
      ),
    });
    const run = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect(run.code).toBe(1);
    expect(run.json.error.code).toBe('MIGRATION_FAILED');
    expect(run.json.error.statement).toContain('UPDATE accounts');
    expect(await catalog(url)).toEqual(before);
    expect(await rows(url, 'SELECT * FROM accounts ORDER BY id')).toEqual(dataBefore);
    const status = mfmig(dir, ['--db', url, '--json', 'status']);
    expect(status.json.currentVersion).toBe(1);
    const history = mfmig(dir, ['--db', url, '--json', 'history']);
    expect([history.code, history.json.history.map((h: { version: number }) => h.version)]).toEqual([0, [1]]);
    expect(history.json.audit.map((a: { action: string; version: number }) => [a.action, a.version])).toEqual([['migration-failed', 2]]);
    expect(await catalog(url)).toEqual(before);
    expect(status.json.problems.map((p: { code: string; version: number }) => [p.code, p.version])).toContainEqual(['MIGRATION_FAILED', 2]);
  });

  for (const lock of ['advisory lock and lock row', 'lock row alone (--no-advisory-lock)']) {
    it(`applies each version once with four runners at the same time: ${lock}`, async () => {
      const url = await scratchDatabase();
      const dir = tempDir();
      const files: Record<string, string> = {
        'mvp1/0001_log.sql': sqlMigration('CREATE TABLE applied (version integer NOT NULL, at timestamptz DEFAULT clock_timestamp());'),
      };
      for (let v = 2; v <= 12; v++)
        files[`mvp1/${String(v).padStart(4, '0')}_step.sql`] = sqlMigration(`INSERT INTO applied (version) VALUES (${v});\nSELECT pg_sleep(0.02);`);
      writeMigrations(dir, files);
      const extra = lock.startsWith('lock row alone') ? ['--no-advisory-lock'] : [];
      const runs = await Promise.all([0, 1, 2, 3].map(() => mfmigAsync(dir, ['--db', url, ...extra, '--json', 'migrate', '--lock-timeout', '60000']).done));
      expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
      const applied = await rows(url, 'SELECT version, count(*)::int AS n FROM applied GROUP BY version ORDER BY version');
      expect(applied).toEqual(Array.from({ length: 11 }, (_, i) => ({ version: i + 2, n: 1 })));
      const history = await rows(url, 'SELECT version FROM mfmig_history ORDER BY version');
      expect(history.map((r) => Number(r.version))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(runs.map((r) => r.json.migrations.filter((m: { status: string }) => m.status === 'Success').length).reduce((a, b) => a + b, 0)).toBe(12);
      expect(await rows(url, 'SELECT * FROM mfmig_lock')).toEqual([]);
    });
  }

  it('leaves nothing half-applied when killed with SIGKILL mid-migration, and a rerun takes the abandoned lock and finishes', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_base.sql': sqlMigration('CREATE TABLE base (id integer PRIMARY KEY);'),
      'mvp1/0002_slow.sql': sqlMigration(
        "CREATE TABLE half (id integer);\nINSERT INTO base VALUES (1);\nSELECT pg_sleep(CASE WHEN to_regclass('public.go_fast') IS NULL THEN 60 ELSE 0 END);\nINSERT INTO base VALUES (2);",
      ),
    });
    const { child, done } = mfmigAsync(dir, ['--db', url, 'migrate']);
    await waitFor(async () => (await rows(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")).length > 0);
    child.kill('SIGKILL');
    await done;
    await waitFor(async () => (await rows(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")).length === 0);
    expect(await rows(url, "SELECT to_regclass('public.half') IS NULL AS gone")).toEqual([{ gone: true }]);
    expect(await rows(url, 'SELECT id FROM base')).toEqual([]);
    expect((await rows(url, 'SELECT version FROM mfmig_history')).map((r) => Number(r.version))).toEqual([1]);
    expect((await rows(url, 'SELECT pid FROM mfmig_lock')).length).toBe(1);
    await rows(url, 'CREATE TABLE go_fast ()');
    const rerun = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await rows(url, 'SELECT id FROM base ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await rows(url, 'SELECT * FROM mfmig_lock')).toEqual([]);
  });

  it('does not queue behind a long transaction: DDL gives up its lock wait, retries, and applies once the transaction ends', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_t.sql': sqlMigration('CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);') });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    writeMigrations(dir, { 'mvp1/0002_alter.sql': sqlMigration('ALTER TABLE t ADD COLUMN c integer;') });
    await withClient(url, async (holder) => {
      // a long read: its ACCESS SHARE lock makes ALTER TABLE wait, and a waiting ALTER would block every reader after it
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM t');
      const gaveUp = mfmig(dir, ['--db', url, '--json', 'migrate', '--ddl-lock-timeout', '150', '--ddl-retries', '1']);
      expect([gaveUp.code, gaveUp.json.error.code, gaveUp.json.error.message.includes('55P03') || /table lock/.test(gaveUp.json.error.message)]).toEqual([
        1,
        'MIGRATION_FAILED',
        true,
      ]);
      expect(await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't'")).toEqual([{ n: 1 }]);
      // while a run retries, readers of t are never stuck behind it for longer than one lock wait
      const run = mfmigAsync(dir, ['--db', url, '--json', 'migrate', '--ddl-lock-timeout', '150', '--ddl-retries', '8']);
      let longest = 0;
      for (let i = 0; i < 10; i++) {
        const start = Date.now();
        await withClient(url, (reader) => reader.query('SELECT count(*) FROM t'));
        longest = Math.max(longest, Date.now() - start);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(longest).toBeLessThan(2_000);
      await holder.query('COMMIT');
      const finished = await run.done;
      expect(finished.code, finished.stderr).toBe(0);
    });
    expect(await rows(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't'")).toEqual([{ n: 2 }]);
  });

  it('runs CREATE INDEX CONCURRENTLY from a transaction: none file, and refuses it in a transactional file before anything runs', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_t.sql': sqlMigration('CREATE TABLE t (id integer, email text);'),
      'mvp1/0002_idx.sql': sqlMigration('CREATE INDEX t_email ON t (email);\nCREATE INDEX CONCURRENTLY t_id ON t (id);'),
    });
    const refused = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect([refused.code, refused.json.error.code]).toEqual([2, 'MIGRATION_INVALID']);
    expect(await rows(url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ n: 0 }]);
    writeMigrations(dir, {
      'mvp1/0002_idx.sql': '-- transaction: none\n' + sqlMigration('CREATE INDEX CONCURRENTLY t_id ON t (id);'),
    });
    const run = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(await rows(url, "SELECT indexrelid::regclass::text AS name, indisvalid FROM pg_index WHERE indrelid = 't'::regclass")).toEqual([
      { name: 't_id', indisvalid: true },
    ]);
  });

  it('rolls back a transaction: none down that only drops an index with preservation on, and refuses one that drops a table, changing nothing', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_t.sql': sqlMigration('CREATE TABLE t (id integer, email text);\nINSERT INTO t VALUES (1, $$a$$);', 'DROP TABLE t;'),
      'mvp1/0002_idx.sql':
        '-- transaction: none\n' + sqlMigration('CREATE INDEX CONCURRENTLY t_id ON t (id);', 'DROP INDEX CONCURRENTLY t_id;\nVACUUM (ANALYZE) t;'),
      'mvp1/0003_u.sql': '-- transaction: none\n' + sqlMigration('CREATE TABLE u (id integer);\nINSERT INTO u VALUES (7);', 'DROP TABLE u;'),
    });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    // dropping u could lose its rows, and no transaction lets preservation archive them first
    const before = await catalog(url);
    const refused = mfmig(dir, ['--db', url, '--json', '--yes', 'rollback', '--to', '1']);
    expect([refused.code, refused.json.error.code]).toEqual([2, 'USAGE']);
    expect(await catalog(url)).toEqual(before);
    expect(await rows(url, 'SELECT id FROM u')).toEqual([{ id: 7 }]);
    // after u is gone with --no-preserve-data, the index drop and VACUUM lose nothing: preservation stays on
    expect(mfmig(dir, ['--db', url, '--yes', 'rollback', '--to', '2', '--no-preserve-data']).code).toBe(0);
    const down = mfmig(dir, ['--db', url, '--json', '--yes', 'rollback', '--to', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(await rows(url, "SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 't'")).toEqual([{ n: 0 }]);
    expect(await rows(url, 'SELECT id, email FROM t')).toEqual([{ id: 1, email: 'a' }]);
    expect(await rows(url, 'SELECT max(version)::int AS v FROM mfmig_history')).toEqual([{ v: 1 }]);
  });

  it('changes nothing in a dry run', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_t.sql': sqlMigration('CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);') });
    const before = await catalog(url);
    const run = mfmig(dir, ['--db', url, '--json', 'migrate', '--dry-run']);
    expect([run.code, run.json.dryRun, run.json.migrations[0].status]).toEqual([0, true, 'Success']);
    expect(await catalog(url)).toEqual(before);
  });

  it('refuses bad input in one line without touching the database', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_t.sql': sqlMigration('CREATE TABLE t (id integer);') });
    const before = await catalog(url);
    const missing = mfmig(dir, ['--db', url.replace(/\/[^/]*$/, '/mfmig_no_such_db'), 'migrate']);
    expect([missing.code, missing.stderr.trim().split('\n').length]).toEqual([2, 1]);
    const down = mfmig(dir, ['--db', 'postgres://ana:s3cret@127.0.0.1:1/app', 'migrate']);
    expect([down.code, down.stderr.includes('s3cret'), down.stderr.trim().split('\n').length]).toEqual([2, false, 1]);
    // a sound database: emergency-rollback is refused without --yes
    const sound = mfmig(dir, ['--db', url, 'emergency-rollback', 'failed-migration']);
    expect([sound.code, sound.stderr.trim().split('\n').length]).toEqual([3, 1]);
    // a command that only writes files runs whatever the database is
    const created = mfmig(dir, ['--db', url, '--json', 'new', 'add_notes']);
    expect([created.code, created.json.files.length], created.stderr).toEqual([0, 1]);
    const withWal = mfmig(dir, ['--db', url, 'migrate', '--wal']);
    expect(withWal.code).toBe(2);
    // history --metrics reads only: a database without metrics lists none, and nothing is created
    const metrics = mfmig(dir, ['--db', url, '--json', 'history', '--metrics']);
    expect([metrics.code, metrics.json.metrics]).toEqual([0, []]);
    const empty = mfmig(dir, ['--db', url, '--json', 'history']);
    expect([empty.code, empty.json.history, empty.json.audit]).toEqual([0, [], []]);
    expect(await catalog(url)).toEqual(before);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
