import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { isMfmigReport } from '@mfmig/framework';
import { REAL_MIGRATIONS, mfmig, tempDir } from './helpers.js';
import { metricsFolder } from './harness/metrics-folder.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const relations = (url: string) =>
  rows(
    url,
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
  );

describe('mfmig report on PostgreSQL', () => {
  it('writes the report of the KB at MVP2 (plan up) and at MVP5 (rollback plan), changing nothing in the database', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...args]);
    expect(cli('seed', '--rows', '500').code).toBe(0);
    expect(cli('--yes', 'migrate', '--to-mvp', '2').code).toBe(0);
    const before = await relations(url);
    const out = join(dir, 'report.html');
    const atMvp2 = cli('report', '--out', out);
    expect(atMvp2.code, atMvp2.stderr).toBe(0);
    expect(await relations(url)).toEqual(before);
    expect(isMfmigReport(readFileSync(out, 'utf8'))).toBe(true);
    const data = atMvp2.json.data;
    expect([data.currentMvp, data.latestMvp, data.stepsSource, data.steps.length, data.validation.isValid]).toEqual([2, 5, 'history', 5, true]);
    expect(data.plan.title).toContain('MVP5');
    expect(data.plan.steps).toHaveLength(12);
    expect(data.diff.lines.length).toBeGreaterThan(0);

    expect(cli('--yes', 'migrate').code).toBe(0);
    expect(cli('--yes', 'rollback', '--to-mvp', '4').code).toBe(0);
    expect(cli('--yes', 'migrate').code).toBe(0);
    const atMvp5 = cli('report', '--out', out);
    expect(atMvp5.code, atMvp5.stderr).toBe(0);
    expect(atMvp5.json.data.plan.title).toContain('rollback plan');
    expect(atMvp5.json.data.rollbacks).toHaveLength(1);
    expect(atMvp5.json.data.rollbacks[0].preservedRows).toBeGreaterThan(0);
  });

  it('shows the steps of the last run that recorded metrics, its rollback, and a plan estimated from the metrics, as on SQLite', async () => {
    const url = await scratchDatabase();
    const dir = metricsFolder();
    const metrics = { ENABLE_METRICS: 'true' };
    expect(mfmig(dir, ['--db', url, 'migrate'], metrics).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'rollback', '--to', '1'], metrics).code).toBe(0);
    const recorded = await rows(
      url,
      `SELECT run_id AS "runId", version::int AS version, step, direction, duration_ms AS "durationMs", rows::int AS rows, rows_per_second AS "rowsPerSecond"
         FROM mfmig_metrics ORDER BY id`,
    );
    const downRun = recorded.at(-1)!.runId;
    const out = join(dir, 'report.html');
    const run = mfmig(dir, ['--db', url, '--json', 'report', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const data = run.json.data;
    // the last run that recorded metrics: the rollback's downs, newest first
    expect([data.stepsSource, data.stepsRun.runId]).toEqual(['metrics', downRun]);
    expect(data.steps).toEqual(
      recorded
        .filter((m) => m.runId === downRun)
        .map((m) => ({
          label: m.step,
          version: m.version,
          kind: 'migration',
          direction: m.direction,
          durationMs: m.durationMs,
          rows: m.rows,
          rowsPerSecond: m.rowsPerSecond,
        })),
    );
    expect(data.steps.map((s: { label: string; rows: number }) => [s.label, s.rows])).toEqual([
      ['0003_tags', 0],
      ['0002_fill', 3],
    ]);
    expect(data.rollbacks).toEqual([{ runId: downRun, at: expect.any(String), from: 3, to: 1, preservedRows: expect.any(Number), detail: expect.any(String) }]);
    // the plan back up is estimated from the recorded ups (the rehearsal counts the 3 rows that run counted)
    const ups = recorded.filter((m) => m.direction === 'up' && m.version > 1);
    expect(data.plan.estimatedMinutes * 60).toBeCloseTo(
      ups.reduce((sum, m) => sum + m.durationMs / 1000, 0),
      6,
    );
    // the page shows the same rows
    const html = readFileSync(out, 'utf8');
    const shown = [...html.matchAll(/data-testid="step-row" data-label="([^"]+)" data-rows="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);
    expect(shown).toEqual([
      ['0003_tags', 0],
      ['0002_fill', 3],
    ]);
    expect(html).toContain(downRun);
  });

  it('refuses to replace a file that is not an earlier report (exit 3), leaving it as it was', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const out = join(dir, 'notes.html');
    writeFileSync(out, '<p>my notes</p>');
    const run = mfmig(dir, ['--db', url, '--json', 'report', '--out', out]);
    expect(run.code).toBe(3);
    expect(readFileSync(out, 'utf8')).toBe('<p>my notes</p>');
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });
});
