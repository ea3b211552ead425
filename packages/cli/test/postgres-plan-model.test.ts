import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { type PlanStepEstimate, mfmig, pgRows, sqlMigration, tempDir, writeMigrations, METRICS_ENV } from './helpers.js';

afterAll(dropScratchDatabases);

/** Two tables; the same column type change (a rewrite) on each; a copy of the big one into a new, indexed table; a module step. */
function folder(): string {
  const dir = tempDir();
  writeMigrations(dir, {
    'mvp1/0001_tables.sql': sqlMigration(
      'CREATE TABLE big (id integer PRIMARY KEY, body text NOT NULL);\nCREATE TABLE small (id integer PRIMARY KEY, body text NOT NULL, note text);',
    ),
    'mvp2/0002_big_type.sql': sqlMigration('ALTER TABLE big ALTER COLUMN id TYPE bigint;'),
    'mvp2/0003_small_type.sql': sqlMigration('ALTER TABLE small ALTER COLUMN id TYPE bigint;'),
    'mvp2/0004_archive.sql': sqlMigration(
      'CREATE TABLE archive (id bigint, body text);\nINSERT INTO archive SELECT id, body FROM big;\nCREATE INDEX archive_id ON archive (id);',
    ),
    'mvp2/0005_note_required.sql': sqlMigration('ALTER TABLE small ADD COLUMN flag boolean;\nALTER TABLE small ALTER COLUMN note SET NOT NULL;'),
    'mvp3/0006_shout.ts': `export async function up(db) { await db.updateTable('small').set({ body: db.fn('upper', ['body']) }).execute(); }`,
  });
  return dir;
}

/** A database at version 1 with 50,000 rows in `big` (never analysed) and 500 in `small` (analysed), each with a note. */
async function seeded(dir: string): Promise<string> {
  const url = await scratchDatabase();
  expect(mfmig(dir, ['--db', url, 'migrate', '--to', '1'], METRICS_ENV).code).toBe(0);
  await pgRows(url, `INSERT INTO big SELECT g, 'entry body ' || g FROM generate_series(1, 50000) g`);
  await pgRows(url, `INSERT INTO small SELECT g, 'entry body ' || g, 'note' FROM generate_series(1, 500) g; ANALYZE small`);
  return url;
}

function plan(url: string, dir: string, ...args: string[]) {
  const run = mfmig(dir, ['--db', url, '--json', 'plan', ...args]);
  return {
    code: run.code,
    stderr: run.stderr,
    json: run.json as { steps: PlanStepEstimate[]; estimatedSeconds?: number; model?: { probe?: { place: string } } },
  };
}

/** Every relation and schema of the database, and the rows of mfmig's tables: what a plan must leave as it was. */
async function catalog(url: string) {
  return {
    relations: await pgRows(url, `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 1, 2`),
    schemas: await pgRows(url, 'SELECT nspname FROM pg_namespace ORDER BY 1'),
    history: await pgRows(url, 'SELECT * FROM mfmig_history ORDER BY version'),
  };
}

describe('mfmig plan on PostgreSQL prices a step with the model when no run and no rehearsal estimate it', () => {
  it('gives every SQL step a model estimate from the tables it touches, a module step none, and leaves the catalog as it was', async () => {
    const dir = folder();
    const url = await seeded(dir);
    const before = await catalog(url);

    const sqlSteps = plan(url, dir, '--no-rehearse', '--to', '5');
    expect(sqlSteps.code, sqlSteps.stderr).toBe(0);
    const steps = sqlSteps.json.steps;
    expect(steps.map((s) => [s.version, s.estimateSource])).toEqual([
      [2, 'model'],
      [3, 'model'],
      [4, 'model'],
      [5, 'model'],
    ]);
    for (const s of steps) expect(s.estimatedSeconds).toBeGreaterThan(0);
    // the same rewrite over 50,000 rows against 500: priced higher, in one plan with one probe
    expect(steps[0]!.estimatedSeconds! / steps[1]!.estimatedSeconds!).toBeGreaterThan(1);
    // the copy of the 50,000 rows into the new table and its index cost more than the catalog changes and the scan of 500 rows
    expect(steps[2]!.estimatedSeconds!).toBeGreaterThan(steps[3]!.estimatedSeconds!);
    expect(sqlSteps.json.estimatedSeconds).toBeCloseTo(
      steps.reduce((sum, s) => sum + s.estimatedSeconds!, 0),
      9,
    );
    expect(sqlSteps.json.model?.probe?.place).toBe('schema');

    // a module migration is not analysed: no estimate for it, so none for the plan
    const all = plan(url, dir, '--no-rehearse');
    expect(all.code, all.stderr).toBe(0);
    expect(all.json.steps.map((s) => [s.version, s.estimateSource])).toEqual([
      [2, 'model'],
      [3, 'model'],
      [4, 'model'],
      [5, 'model'],
      [6, undefined],
    ]);
    expect([all.json.steps[4]!.estimatedSeconds, all.json.estimatedSeconds]).toEqual([undefined, undefined]);

    expect(await catalog(url)).toEqual(before);
  });

  it('lets the metrics of an earlier run win over the model, and the model fill in for a rehearsal that failed', async () => {
    const dir = folder();
    const url = await seeded(dir);
    await pgRows(
      url,
      `INSERT INTO mfmig_metrics (run_id, version, step, direction, duration_ms, rows, rows_per_second, peak_memory, recorded_at)
       VALUES ('earlier', 3, '0003_small_type', 'up', 2000, 0, 0, 0, now())`,
    );
    // every step estimated by the rehearsal or the metrics: no probe runs
    const rehearsed = plan(url, dir, '--to', '3');
    expect(rehearsed.code, rehearsed.stderr).toBe(0);
    expect([rehearsed.json.steps.map((s) => s.estimateSource), rehearsed.json.model]).toEqual([['rehearsal', 'metrics'], undefined]);

    const unrehearsed = plan(url, dir, '--no-rehearse', '--to', '4');
    expect(unrehearsed.code, unrehearsed.stderr).toBe(0);
    expect(unrehearsed.json.steps.map((s) => [s.version, s.estimateSource])).toEqual([
      [2, 'model'],
      [3, 'metrics'],
      [4, 'model'],
    ]);
    expect(unrehearsed.json.steps[1]!.estimatedSeconds).toBe(2);

    // a note left NULL fails 0005's SET NOT NULL on the sample: the plan exits 1, and the steps without metrics get the model's estimate
    await pgRows(url, `INSERT INTO small VALUES (0, 'entry body 0', NULL)`);
    const failed = mfmig(dir, ['--db', url, '--json', 'plan', '--to', '5']);
    expect(failed.code).toBe(1);
    expect(failed.json.rehearsal).toMatchObject({ migrationFailed: true });
    expect(failed.json.steps.map((s: PlanStepEstimate) => s.estimateSource)).toEqual(['model', 'metrics', 'model', 'model']);
    expect(failed.json.estimatedSeconds).toBeGreaterThan(2);
  });

  it('prices with TEMP tables when the login may not create tables in the schema, and leaves the catalog as it was', async () => {
    const dir = folder();
    const url = await seeded(dir);
    const role = `mfmig_reader_${randomBytes(4).toString('hex')}`;
    await pgRows(url, `CREATE ROLE ${role} LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    try {
      const reader = new URL(url);
      reader.username = role;
      const before = await catalog(url);
      const read = plan(reader.toString(), dir, '--no-rehearse', '--to', '5');
      expect(read.code, read.stderr).toBe(0);
      expect(read.json.model?.probe?.place).toBe('temp');
      expect(read.json.steps.every((s) => s.estimateSource === 'model' && s.estimatedSeconds! > 0)).toBe(true);
      expect(await catalog(url)).toEqual(before);
    } finally {
      await pgRows(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});
