import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** Every relation outside the system schemas, the archive registry, and a digest of each public table's rows. */
async function everything(url: string): Promise<unknown> {
  const relations = await rows(
    url,
    `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
  );
  const digests: Record<string, unknown> = {};
  for (const { tablename } of await rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")) {
    digests[tablename] = (await rows(url, `SELECT count(*)::int AS n, sum(hashtextextended(t::text, 0))::text AS h FROM public."${tablename}" t`))[0];
  }
  return { relations, digests };
}

type Loss = { table: string; kind: string; rows: number; estimated: boolean };
const losses = (plan: { steps: { version: number; losses: Loss[] }[] }) =>
  plan.steps.flatMap((s) => s.losses.map((l) => [s.version, l.table, l.kind, l.rows])).sort((a, b) => String(a).localeCompare(String(b)));

describe('rollback --plan-only on PostgreSQL', () => {
  it('names, for the KB rolled back to MVP2, exactly the rows the rollback then archives, and changes nothing itself', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const cli = (...args: string[]) => mfmig(tempDir(), ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...args]);
    expect(cli('seed', '--rows', '2000').code).toBe(0);
    expect(cli('--yes', 'migrate').code).toBe(0);
    const before = await everything(url);
    const plan = cli('rollback', '--to-mvp', '2', '--plan-only');
    expect([plan.code, plan.json.fromVersion, plan.json.targetVersion, plan.json.riskLevel, plan.json.blocked], plan.stderr).toEqual([
      0,
      17,
      5,
      'medium',
      null,
    ]);
    expect(plan.json.totalRowsAtRisk).toBeGreaterThan(0);
    expect(await everything(url)).toEqual(before);
    const done = cli('--yes', 'rollback', '--to-mvp', '2');
    expect(done.code, done.stderr).toBe(0);
    const archived = done.json.preserved
      .map((p: { version: number; table: string; lossKind: string; rows: number }) => [p.version, p.table, p.lossKind, p.rows])
      .sort((a: unknown[], b: unknown[]) => String(a).localeCompare(String(b)));
    expect(losses(plan.json)).toEqual(archived);
  });

  it('scales what a down deletes from a sample to the live table', { timeout: 120_000 }, async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_events.sql': sqlMigration('CREATE TABLE events (id integer PRIMARY KEY, kind text NOT NULL);', 'DROP TABLE events;'),
      'mvp1/0002_noop.sql': sqlMigration('SELECT 1;', "DELETE FROM events WHERE kind = 'b';"),
    });
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await rows(url, "INSERT INTO events SELECT g, CASE WHEN g % 3 = 0 THEN 'b' ELSE 'a' END FROM generate_series(1, 30000) g; ANALYZE events");
    const plan = cli('rollback', '--plan-only');
    expect(plan.code, plan.stderr).toBe(0);
    const [loss] = plan.json.steps[0].losses as Loss[];
    expect([loss!.table, loss!.kind, loss!.estimated]).toEqual(['events', 'rows', true]);
    expect(Math.abs(loss!.rows - 10_000)).toBeLessThan(1_000);
    const redoPlan = cli('redo', '--plan-only');
    expect([redoPlan.code, redoPlan.json.steps.map((s: { version: number }) => s.version)]).toEqual([0, [2]]);
  });

  it('is blocked by a step without a down: exit 1, nothing rehearsed, nothing changed', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_events.sql': sqlMigration('CREATE TABLE events (id integer PRIMARY KEY);', 'DROP TABLE events;'),
      'mvp1/0002_keep.sql': '-- migrate:up\nCREATE TABLE kept (id integer);\n',
    });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    const before = await everything(url);
    const plan = mfmig(dir, ['--db', url, '--json', 'rollback', '--to', '0', '--plan-only']);
    expect([plan.code, plan.json.riskLevel, plan.json.steps.map((s: { hasDown: boolean }) => s.hasDown)]).toEqual([1, 'critical', [false, true]]);
    expect(plan.json.blocked).toContain('version 2');
    expect(await everything(url)).toEqual(before);
  });
});
