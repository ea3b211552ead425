import type { StepMetric } from '@mfmig/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, sqlMigration, tempDir, writeMigrations, METRICS_ENV } from './helpers.js';
import { metricsFolder } from './harness/metrics-folder.js';

afterAll(dropScratchDatabases);

/** A metric as `history --metrics --json` prints it (JSON keeps every field of the type). */
type Metric = StepMetric;

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
/** Each metric as `[version, step, direction]`. */
const steps = (metrics: Metric[]) => metrics.map((m) => [m.version, m.step, m.direction]);

describe('mfmig history --metrics on PostgreSQL', () => {
  it('records one up row per applied step with ENABLE_METRICS, in the run of its history row, and a down row per reverted step', async () => {
    const url = await scratchDatabase();
    const dir = metricsFolder();
    const up = mfmig(dir, ['--db', url, '--json', 'migrate'], METRICS_ENV);
    expect([up.code, up.json.toVersion], up.stderr).toEqual([0, 3]);
    const read = mfmig(dir, ['--db', url, '--json', 'history', '--metrics']);
    expect(read.code, read.stderr).toBe(0);
    expect(Object.keys(read.json)).toEqual(['history', 'audit', 'metrics']);
    const metrics = read.json.metrics as Metric[];
    expect(steps(metrics)).toEqual([
      [1, '0001_notes', 'up'],
      [2, '0002_fill', 'up'],
      [3, '0003_tags', 'up'],
    ]);
    // the rows a step counted, as on SQLite (a SQL file's statements are not counted)
    expect(metrics.map((m) => m.rows)).toEqual([0, 3, 0]);
    const runIds = new Set(read.json.history.map((h: { runId: string }) => h.runId));
    expect([...runIds]).toHaveLength(1);
    expect(metrics.every((m) => runIds.has(m.runId) && m.durationMs >= 0 && m.peakMemory > 0 && !Number.isNaN(Date.parse(m.recordedAt)))).toBe(true);
    expect(metrics[1]!.rowsPerSecond).toBeCloseTo((3 * 1000) / metrics[1]!.durationMs, 6);

    const down = mfmig(dir, ['--db', url, '--json', 'rollback', '--step', '2'], METRICS_ENV);
    expect(down.code, down.stderr).toBe(0);
    const after = mfmig(dir, ['--db', url, '--json', 'history', '--metrics']).json.metrics as Metric[];
    const reverted = after.slice(3);
    expect(steps(reverted)).toEqual([
      [3, '0003_tags', 'down'],
      [2, '0002_fill', 'down'],
    ]);
    expect(reverted.map((m) => m.rows)).toEqual([0, 3]);
    expect(new Set(reverted.map((m) => m.runId)).size).toBe(1);
    expect(runIds.has(reverted[0]!.runId)).toBe(false);
    // the same table in the human output
    const human = mfmig(dir, ['--db', url, 'history', '--metrics']);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n').filter((l) => /\b0002_fill\s+(up|down)\b/.test(l))).toHaveLength(2);
  });

  it('records nothing, and creates no table, without ENABLE_METRICS; history --metrics then lists none', async () => {
    const url = await scratchDatabase();
    const dir = metricsFolder();
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'rollback'], { ENABLE_METRICS: 'false' }).code).toBe(0);
    const read = mfmig(dir, ['--db', url, '--json', 'history', '--metrics']);
    expect([read.code, read.json.metrics, read.json.history.length]).toEqual([0, [], 2]);
    expect(await rows(url, "SELECT to_regclass('public.mfmig_metrics') IS NULL AS absent")).toEqual([{ absent: true }]);
    // without --metrics the document has no metrics at all
    expect(Object.keys(mfmig(dir, ['--db', url, '--json', 'history']).json)).toEqual(['history', 'audit']);
    // history --metrics reads only: on a database mfmig never touched it lists nothing and creates nothing
    const empty = await scratchDatabase();
    const untouched = mfmig(dir, ['--db', empty, '--json', 'history', '--metrics']);
    expect([untouched.code, untouched.json]).toEqual([0, { history: [], audit: [], metrics: [] }]);
    expect(await rows(empty, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);
  });

  it("takes the config file's enableMetrics, which ENABLE_METRICS overrides", async () => {
    const url = await scratchDatabase();
    const dir = metricsFolder();
    writeFileSync(join(dir, 'mfmig.config.json'), JSON.stringify({ enableMetrics: true }));
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '2']).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'migrate'], { ENABLE_METRICS: 'false' }).code).toBe(0);
    const read = mfmig(dir, ['--db', url, '--json', 'history', '--metrics']);
    expect(steps(read.json.metrics)).toEqual([
      [1, '0001_notes', 'up'],
      [2, '0002_fill', 'up'],
    ]);
  });

  it('leaves no metrics row for a migration that fails: its transaction rolls the row back with it', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_accounts.sql': sqlMigration("CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL);\nINSERT INTO accounts VALUES (1, 'a@x');"),
      'mvp1/0002_breaks.ts': `export async function up(db, ctx) {
        await db.insertInto('accounts').values({ id: 2, email: 'b@x' }).execute();
        ctx.countRows(1);
        await db.insertInto('accounts').values({ id: 3, email: null }).execute();
      }`,
    });
    const run = mfmig(dir, ['--db', url, '--json', 'migrate'], METRICS_ENV);
    expect([run.code, run.json.error.code]).toEqual([1, 'MIGRATION_FAILED']);
    const read = mfmig(dir, ['--db', url, '--json', 'history', '--metrics']);
    expect(steps(read.json.metrics)).toEqual([[1, '0001_accounts', 'up']]);
    expect(await rows(url, 'SELECT version::int AS version FROM mfmig_metrics ORDER BY id')).toEqual([{ version: 1 }]);
    expect(await rows(url, 'SELECT id FROM accounts ORDER BY id')).toEqual([{ id: 1 }]);
  });

  it('refuses an ENABLE_METRICS that is not a boolean in one line, before anything is written', async () => {
    const url = await scratchDatabase();
    const dir = metricsFolder();
    const run = mfmig(dir, ['--db', url, 'migrate'], { ENABLE_METRICS: 'sometimes' });
    expect([run.code, run.stderr.trim().split('\n').length, run.stderr.includes('ENABLE_METRICS')]).toEqual([2, 1, true]);
    expect(await rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);
  });

  it('records each KB step and each of its data transformations, up and down, with the rows the transformations moved', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const cwd = tempDir();
    const cli = (args: string[], env: Record<string, string> = METRICS_ENV) =>
      mfmig(cwd, ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...args], env);
    expect(cli(['seed', '--rows', '40']).code).toBe(0);
    const up = cli(['--yes', 'migrate', '--to-mvp', '3']);
    expect(up.code, up.stderr).toBe(0);
    const read = cli(['history', '--metrics'], {});
    const metrics = read.json.metrics as Metric[];
    const stepsOnly = metrics.filter((m) => !m.step.includes('#'));
    // one row per applied step (the seed's run applied MVP1, the migrate the rest), in the order they ran
    expect(stepsOnly.map((m) => [m.version, m.direction])).toEqual(read.json.history.map((h: { version: number }) => [h.version, 'up']));
    expect(stepsOnly.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const mapping = metrics.find((m) => m.step === '0005_map_kb_entries_to_incidents#kb_to_incident_mapping')!;
    expect([mapping.version, mapping.direction, mapping.rows]).toEqual([5, 'up', 40]);
    // a transformation's row comes before its migration's, in the same run; the migration counts the rows its transformations wrote
    const parts = metrics.filter((m) => m.version === 5 && m.step.includes('#'));
    const step5 = stepsOnly.find((m) => m.version === 5)!;
    expect(parts.map((m) => m.step.split('#')[1])).toEqual(['kb_to_incident_mapping', 'link_incidents_to_kb']);
    expect(parts.every((m) => m.runId === step5.runId && metrics.indexOf(m) < metrics.indexOf(step5))).toBe(true);
    expect(step5.rows).toBe(parts.reduce((n, m) => n + m.rows, 0));

    const down = cli(['--yes', 'rollback', '--to-mvp', '1']);
    expect(down.code, down.stderr).toBe(0);
    const after = (cli(['history', '--metrics'], {}).json.metrics as Metric[]).slice(metrics.length);
    expect(after.filter((m) => !m.step.includes('#')).map((m) => [m.version, m.direction])).toEqual([9, 8, 7, 6, 5, 4, 3].map((v) => [v, 'down']));
    const reversed = after.find((m) => m.step === '0005_map_kb_entries_to_incidents#kb_to_incident_mapping')!;
    expect([reversed.direction, reversed.rows]).toEqual(['down', 40]);
  });
});
