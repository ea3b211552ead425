import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { type PlanStepEstimate, mfmig, pgRows, sqlMigration, tempDir, writeMigrations, METRICS_ENV } from './helpers.js';

afterAll(dropScratchDatabases);

/** A table; a module step that upper-cases every note and counts the rows it changed (its down counts them too); a SQL step. */
function folder(): string {
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;'),
    'mvp1/0002_shout.ts': `export async function up(db, ctx) {
      const r = await db.updateTable('notes').set({ body: db.fn('upper', ['body']) }).executeTakeFirst();
      ctx.countRows(Number(r.numUpdatedRows));
    }
    export async function down(db, ctx) {
      const r = await db.updateTable('notes').set({ body: db.fn('lower', ['body']) }).executeTakeFirst();
      ctx.countRows(Number(r.numUpdatedRows));
    }`,
    'mvp2/0003_tags.sql': sqlMigration('CREATE TABLE tags (note_id integer REFERENCES notes (id), tag text);', 'DROP TABLE tags;'),
  });
  return dir;
}

/** The recorded `up` rows of the steps (not of their transformations), by version: the last one of each. */
async function recordedUps(url: string): Promise<Map<number, { durationMs: number; rows: number }>> {
  const rows = await pgRows(
    url,
    `SELECT version::int AS version, duration_ms AS "durationMs", rows::int AS rows FROM mfmig_metrics
      WHERE direction = 'up' AND step NOT LIKE '%#%' ORDER BY id`,
  );
  return new Map(rows.map((r) => [r.version, { durationMs: r.durationMs, rows: r.rows }]));
}

function planSteps(url: string, dir: string, ...args: string[]): PlanStepEstimate[] {
  const plan = mfmig(dir, ['--db', url, '--json', 'plan', ...args]);
  expect(plan.code, plan.stderr).toBe(0);
  return plan.json.steps as PlanStepEstimate[];
}

describe('mfmig plan on PostgreSQL estimates a step from the metrics of its earlier run', () => {
  it('takes the last recorded up of each step (not its down), scaled by the rows the rehearsal counts; steps never run are rehearsed', async () => {
    const url = await scratchDatabase();
    const dir = folder();
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    await pgRows(url, `INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g`);
    expect(mfmig(dir, ['--db', url, 'migrate'], METRICS_ENV).code).toBe(0);
    const recorded = await recordedUps(url);
    expect([recorded.get(2)?.rows, recorded.get(3)?.rows]).toEqual([100, 0]);
    // the down is recorded as well, and is not what an up is estimated from
    expect(mfmig(dir, ['--db', url, 'rollback', '--to', '1'], METRICS_ENV).code).toBe(0);
    // a later run of 0002 that took 2 s for its 100 rows: the plan goes by the most recent one
    await pgRows(
      url,
      `INSERT INTO mfmig_metrics (run_id, version, step, direction, duration_ms, rows, rows_per_second, peak_memory, recorded_at)
       VALUES ('later', 2, '0002_shout', 'up', 2000, 100, 50, 0, now())`,
    );
    writeMigrations(dir, { 'mvp2/0004_tag_index.sql': sqlMigration('CREATE INDEX tags_tag ON tags (tag);', 'DROP INDEX tags_tag;') });
    await pgRows(url, `INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(101, 400) g`);

    const steps = planSteps(url, dir);
    expect(steps.map((s) => [s.version, s.estimateSource])).toEqual([
      [2, 'metrics'],
      [3, 'metrics'],
      [4, 'rehearsal'],
    ]);
    // 0002 counted 100 rows in that run; the rehearsal counts 400 now (the whole table fits the sample)
    expect(steps[0]!.estimatedSeconds).toBeCloseTo(2 * 4, 9);
    // a SQL step counts no rows: its recorded time as it was
    expect(steps[1]!.estimatedSeconds).toBeCloseTo(recorded.get(3)!.durationMs / 1000, 9);
    expect(steps[2]!.estimatedSeconds).toBeGreaterThan(0);

    // without a rehearsal there are no rows to scale by: the recorded times as they were, and the model's estimate for the step never run
    const unrehearsed = planSteps(url, dir, '--no-rehearse');
    expect(unrehearsed.map((s) => [s.version, s.estimateSource, s.estimatedSeconds])).toEqual([
      [2, 'metrics', 2],
      [3, 'metrics', recorded.get(3)!.durationMs / 1000],
      [4, 'model', expect.any(Number)],
    ]);
  });

  it('estimates every step from the rehearsal when no run recorded metrics', async () => {
    const url = await scratchDatabase();
    const dir = folder();
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'rollback', '--to', '1']).code).toBe(0);
    const plan = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json.steps.map((s: PlanStepEstimate) => [s.version, s.estimateSource])).toEqual([
      [2, 'rehearsal'],
      [3, 'rehearsal'],
    ]);
    expect(plan.json.steps.map((s: PlanStepEstimate) => s.estimatedSeconds)).toEqual(
      plan.json.rehearsal.steps.map((s: { estimatedMs: number }) => s.estimatedMs / 1000),
    );
    expect(plan.json.estimatedSeconds).toBeCloseTo(plan.json.rehearsal.estimatedMs / 1000, 9);
    expect(await pgRows(url, "SELECT to_regclass('public.mfmig_metrics') IS NULL AS absent")).toEqual([{ absent: true }]);
  });

  it('estimates the downs of a rollback plan from the last recorded down of each, scaled by rows; without one, from the rehearsal', async () => {
    const url = await scratchDatabase();
    const dir = folder();
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    await pgRows(url, `INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g`);
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    const downs = () => {
      const plan = mfmig(dir, ['--db', url, '--json', 'rollback', '--to', '1', '--plan-only']);
      expect(plan.code, plan.stderr).toBe(0);
      return plan.json as { estimatedMs: number; steps: { version: number; estimatedMs: number; estimateSource: string; sampleMs: number }[] };
    };
    // no run recorded: each down's time on the sample (the whole table fits it, so unscaled)
    const rehearsed = downs();
    expect(rehearsed.steps.map((s) => [s.version, s.estimateSource, s.estimatedMs])).toEqual(rehearsed.steps.map((s) => [s.version, 'rehearsal', s.sampleMs]));
    expect(await pgRows(url, "SELECT to_regclass('public.mfmig_metrics') IS NULL AS absent")).toEqual([{ absent: true }]);

    expect(mfmig(dir, ['--db', url, 'rollback', '--to', '1'], METRICS_ENV).code).toBe(0);
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    const [sqlDown] = await pgRows(url, `SELECT duration_ms AS ms FROM mfmig_metrics WHERE direction = 'down' AND version = 3 AND step NOT LIKE '%#%'`);
    // a later down of 0002 that took 2 s for its 100 rows; the table has 400 now
    await pgRows(
      url,
      `INSERT INTO mfmig_metrics (run_id, version, step, direction, duration_ms, rows, rows_per_second, peak_memory, recorded_at)
       VALUES ('later', 2, '0002_shout', 'down', 2000, 100, 50, 0, now())`,
    );
    await pgRows(url, `INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(101, 400) g`);
    const measured = downs();
    expect(measured.steps.map((s) => [s.version, s.estimateSource])).toEqual([
      [3, 'metrics'],
      [2, 'metrics'],
    ]);
    // a SQL down counts no rows: its recorded time as it was; 0002's down counts 400 rows now against 100 then
    expect(measured.steps[0]!.estimatedMs).toBeCloseTo(sqlDown!.ms, 6);
    expect(measured.steps[1]!.estimatedMs).toBeCloseTo(2000 * 4, 6);
    expect(measured.estimatedMs).toBeCloseTo(sqlDown!.ms + 8000, 6);
  });
});
