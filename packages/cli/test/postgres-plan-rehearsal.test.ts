import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

describe('plan on PostgreSQL rehearses the pending steps', () => {
  it('times each step on a sample in a scratch schema, scales it to the live rows, and leaves the database as it was', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_events.sql': sqlMigration('CREATE TABLE events (id integer PRIMARY KEY, kind text NOT NULL);'),
      'mvp2/0002_kind_index.sql': sqlMigration('CREATE INDEX events_kind ON events (kind);'),
    });
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    await rows(url, `INSERT INTO events SELECT g, 'k' || (g % 7) FROM generate_series(1, 4000) g`);
    const plan = mfmig(dir, ['--db', url, '--json', 'plan', '--sample-rows', '400']);
    expect(plan.code, plan.stderr).toBe(0);
    const [step] = plan.json.rehearsal.steps;
    expect([step.version, step.tables, Math.round(step.scale)]).toEqual([2, ['events'], 10]);
    expect(step.fixedMs).toBeLessThanOrEqual(step.sampleMs);
    expect(step.estimatedMs).toBeCloseTo(step.fixedMs + (step.sampleMs - step.fixedMs) * step.scale, 5);
    // the index grows with the rows: its growth on the sample, scaled like its time, is what the plan's disk estimate counts
    expect(step.sampleBytes).toBeGreaterThan(0);
    expect(step.estimatedBytes).toBeCloseTo(step.sampleBytes * step.scale, 0);
    expect(plan.json.resources.storage).toMatchObject({ growthSource: 'rehearsal', additionalSpaceRequired: Math.round(step.estimatedBytes) });
    expect(plan.json.resources.errors).toEqual([]);
    expect(await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'`)).toEqual([]);
    expect(await rows(url, `SELECT indexname FROM pg_indexes WHERE tablename = 'events' AND indexname = 'events_kind'`)).toEqual([]);
    const skipped = mfmig(dir, ['--db', url, '--json', 'plan', '--no-rehearse']);
    expect([skipped.code, skipped.json.rehearsal]).toEqual([0, undefined]);
  });

  it('exits 1 when a pending step fails on the sample, and changes nothing', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_events.sql': sqlMigration('CREATE TABLE events (id integer PRIMARY KEY, kind text);'),
      'mvp2/0002_kind_required.sql': sqlMigration('ALTER TABLE events ALTER COLUMN kind SET NOT NULL;'),
    });
    expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1']).code).toBe(0);
    await rows(url, `INSERT INTO events VALUES (1, 'a'), (2, NULL)`);
    const plan = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect(plan.code).toBe(1);
    expect(plan.json.rehearsal).toMatchObject({ migrationFailed: true });
    expect((await rows(url, 'SELECT version FROM mfmig_history')).map((r) => Number(r.version))).toEqual([1]);
    expect(await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'`)).toEqual([]);
  });
});
