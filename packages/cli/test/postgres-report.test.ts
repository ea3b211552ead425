import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { isMfmigReport } from '@mfmig/framework';
import { REAL_MIGRATIONS, mfmig, tempDir } from './helpers.js';

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
