import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { dropScratchDatabases, scratchDatabase, withClient, type PgAppReport, pgAppRows, startPgKbWriter } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, mfmigAsync, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('rollback on PostgreSQL', () => {
  it('leaves nothing half-reverted and no archive behind when killed with SIGKILL mid-down; a rerun finishes and keeps the rows', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_base.sql': sqlMigration('CREATE TABLE base (id integer PRIMARY KEY, v text);', 'DROP TABLE base;'),
      'mvp1/0002_notes.sql': sqlMigration(
        'CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);',
        "DELETE FROM base WHERE id > 1;\nSELECT pg_sleep(CASE WHEN to_regclass('public.go_fast') IS NULL THEN 60 ELSE 0 END);\nDROP TABLE notes;",
      ),
    });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    await rows(url, `INSERT INTO base SELECT g, 'v' || g FROM generate_series(1, 50) g; INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 30) g`);
    const { child, done } = mfmigAsync(dir, ['--db', url, 'rollback', '--to', '1']);
    await waitFor(async () => (await rows(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")).length > 0);
    child.kill('SIGKILL');
    await done;
    await waitFor(async () => (await rows(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")).length === 0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM base')).toEqual([{ n: 50 }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 30 }]);
    expect((await rows(url, 'SELECT version FROM mfmig_history ORDER BY 1')).map((r) => Number(r.version))).toEqual([1, 2]);
    expect(await rows(url, "SELECT to_regclass('mfmig_archive.archives') IS NULL AS none")).toEqual([{ none: true }]);

    await rows(url, 'CREATE TABLE go_fast ()');
    const rerun = mfmig(dir, ['--db', url, '--json', 'rollback', '--to', '1']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json.preserved.map((p: { table: string; rows: number }) => [p.table, p.rows]).sort()).toEqual([
      ['base', 49],
      ['notes', 30],
    ]);
    const again = mfmig(dir, ['--db', url, 'migrate']);
    expect(again.code, again.stderr).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM base')).toEqual([{ n: 50 }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 30 }]);
  });

  it('loses no row the application commits while a down runs: its writes wait until the down commits, archived or refused', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_base.sql': sqlMigration('CREATE TABLE base (id integer PRIMARY KEY);\nCREATE SEQUENCE pauses;', 'DROP TABLE base;'),
      // the second pause (the real down's; the probe runs the down first) lies between the archive copy and the DROP
      'mvp1/0002_notes.sql': sqlMigration(
        'CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);',
        "SELECT pg_sleep(CASE WHEN nextval('pauses') = 1 THEN 0 ELSE 2 END);\nDROP TABLE notes;",
      ),
    });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    await rows(url, `INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 30) g`);
    const { done } = mfmigAsync(dir, ['--db', url, '--json', 'rollback', '--to', '1']);
    // a sequence does not roll back: its value says the real down is in its pause
    await waitFor(async () => (await rows(url, 'SELECT last_value::int AS n, is_called FROM pauses'))[0]!.n >= 2);
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    const committed = await app.query(`INSERT INTO notes VALUES (31, 'written during the down')`).then(
      () => 1,
      () => 0,
    );
    await app.end();
    const down = await done;
    expect(down.code, down.stderr).toBe(0);
    const kept = down.json.preserved.reduce((n: number, p: { rows: number }) => n + p.rows, 0);
    // a committed row is archived; a write that waited for the down fails on the dropped table
    expect(kept).toBe(30 + committed);
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 30 + committed }]);
  });

  it('keeps every write of an application that writes while the KB migrates to MVP5, rolls back to MVP2 and migrates again', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const cwd = tempDir();
    const cli = (...args: string[]) => mfmig(cwd, ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...args]);
    expect(cli('seed', '--rows', '1500').code).toBe(0);

    // the application: one feedback row and one new KB entry every 10 ms, each in its own transaction
    const app = await startPgKbWriter(url);
    let report: PgAppReport | undefined;
    try {
      const up = mfmigAsync(cwd, ['--db', url, '--migrations', REAL_MIGRATIONS, '--yes', 'migrate']);
      const upRun = await up.done;
      expect(upRun.code, upRun.stderr).toBe(0);
      const down = mfmigAsync(cwd, ['--db', url, '--migrations', REAL_MIGRATIONS, 'rollback', '--to-mvp', '2']);
      expect((await down.done).code).toBe(0);
      const again = mfmigAsync(cwd, ['--db', url, '--migrations', REAL_MIGRATIONS, '--yes', 'migrate']);
      expect((await again.done).code).toBe(0);
    } finally {
      report = await app.stop();
    }
    expect(report.failures).toEqual([]);
    expect(report.written).toBeGreaterThan(20);
    expect(await pgAppRows(url)).toEqual({ entries: report.written, feedback: report.written });
    expect(cli('status').json.currentMvp).toBe(5);
    const validation = cli('validate');
    expect([validation.code, validation.json.errors]).toEqual([0, []]);
  });
});
