import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient, type PgAppReport, pgAppRows, startPgKbWriter } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, mfmigAsync, tempDir } from './helpers.js';

afterAll(dropScratchDatabases);

const history = (url: string) =>
  withClient(url, async (c) => (await c.query('SELECT version, run_id FROM mfmig_history ORDER BY version')).rows as { version: number; run_id: string }[]);

describe('PostgreSQL maintenance commands beside a writing application', () => {
  it('migrate --checkpoint, backup, redo, health and rollback --plan-only lose none of its writes and never make it fail', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const cwd = tempDir();
    const args = (...rest: string[]) => ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...rest];
    expect(mfmig(cwd, args('seed', '--rows', '1500')).code).toBe(0);
    const app = await startPgKbWriter(url);
    let report: PgAppReport | undefined;
    let planned: Awaited<ReturnType<typeof history>> | undefined;
    try {
      const up = await mfmigAsync(cwd, args('--yes', 'migrate', '--checkpoint')).done;
      expect(up.code, up.stderr).toBe(0);
      const backup = await mfmigAsync(cwd, args('backup')).done;
      expect(backup.code, backup.stderr).toBe(0);
      const redo = await mfmigAsync(cwd, args('redo')).done;
      expect(redo.code, redo.stderr).toBe(0);
      const health = await mfmigAsync(cwd, args('health')).done;
      expect([health.code, JSON.parse(health.stdout).status], health.stderr).toEqual([0, 'healthy']);
      planned = await history(url);
      const plan = await mfmigAsync(cwd, args('rollback', '--to-mvp', '4', '--plan-only')).done;
      expect(plan.code, plan.stderr).toBe(0);
    } finally {
      report = await app.stop();
    }
    expect(report.failures).toEqual([]);
    expect(report.written).toBeGreaterThan(20);
    expect(await pgAppRows(url)).toEqual({ entries: report.written, feedback: report.written });
    // the plan wrote nothing: the history is the one redo left
    expect(await history(url)).toEqual(planned);
    expect(planned.map((h) => Number(h.version))).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    const status = mfmig(cwd, args('status'));
    expect([status.code, status.json.currentMvp]).toEqual([0, 5]);
    const validation = mfmig(cwd, args('validate'));
    expect([validation.code, validation.json.errors]).toEqual([0, []]);
  });
});
