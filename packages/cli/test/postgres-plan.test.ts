import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

/** Every schema, relation, column, index and constraint of the database, and mfmig's history: what "the plan wrote nothing" compares. */
async function catalog(url: string): Promise<unknown> {
  return withClient(url, async (c) => {
    const q = async (sql: string) => (await c.query(sql)).rows;
    return {
      schemas: await q(`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1`),
      relations: await q(
        `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
      ),
      columns: await q(
        `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3`,
      ),
      indexes: await q(`SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1, 2`),
      constraints: await q(
        `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
          WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1, 2`,
      ),
      history: await q(`SELECT to_regclass('public.mfmig_history') IS NULL AS none`).then(async ([r]) =>
        r.none ? [] : q('SELECT version, checksum FROM public.mfmig_history ORDER BY version'),
      ),
    };
  });
}

const BASE = sqlMigration(
  `CREATE TABLE big (id bigint PRIMARY KEY, v integer);
CREATE TABLE child (id bigint PRIMARY KEY, big_id bigint);
INSERT INTO big SELECT g, g FROM generate_series(1, 5000) g;`,
);

/** A database at version 1 (tables big, with 5,000 analysed rows, and child), and its folder. */
async function migratedBase(): Promise<{ url: string; dir: string }> {
  const url = await scratchDatabase();
  const dir = tempDir();
  writeMigrations(dir, { 'mvp1/0001_base.sql': BASE });
  const run = mfmig(dir, ['--db', url, 'migrate']);
  expect(run.code, run.stderr).toBe(0);
  await withClient(url, (c) => c.query('ANALYZE big'));
  return { url, dir };
}

const rulesOf = (step: { rules: { rule: string; severity: string }[] }) => step.rules.map((r) => [r.rule, r.severity]);

describe('mfmig plan on PostgreSQL', () => {
  it('plans the pending steps: rewrite and index build high, CONCURRENTLY in a transaction: none file low, code not analyzed without a rehearsal; and writes nothing', async () => {
    const { url, dir } = await migratedBase();
    writeMigrations(dir, {
      'mvp1/0002_widen.sql': sqlMigration('ALTER TABLE big ALTER COLUMN v TYPE bigint;\nCREATE INDEX ON big (v);'),
      'mvp1/0003_index.sql': '-- transaction: none\n' + sqlMigration('CREATE INDEX CONCURRENTLY IF NOT EXISTS big_id_v ON big (id, v);'),
      'mvp2/0004_link.sql': sqlMigration(
        'ALTER TABLE child ADD CONSTRAINT child_big FOREIGN KEY (big_id) REFERENCES big (id) NOT VALID;\nALTER TABLE child VALIDATE CONSTRAINT child_big;',
      ),
      'mvp2/0005_code.ts': 'export async function up() {}\nexport async function down() {}\n',
    });
    const before = await catalog(url);
    // without a rehearsal, nothing tells what the module runs
    const plan = mfmig(dir, ['--db', url, '--json', 'plan', '--no-rehearse']);
    expect(plan.code, plan.stderr).toBe(0);
    const doc = plan.json;
    expect([doc.dialect, doc.currentVersion, doc.targetVersion, doc.targetMVP, doc.direction, doc.riskLevel]).toEqual(['postgres', 1, 5, 2, 'up', 'high']);
    expect(
      doc.steps.map((s: { version: number; transactional: boolean; analyzed: boolean; riskLevel: string }) => [
        s.version,
        s.transactional,
        s.analyzed,
        s.riskLevel,
      ]),
    ).toEqual([
      [2, true, true, 'high'],
      [3, false, true, 'low'],
      [4, true, true, 'low'],
      [5, true, false, 'medium'],
    ]);
    const [widen, index, link, code] = doc.steps;
    expect(rulesOf(widen)).toEqual([
      ['pg-column-type-rewrite', 'high'],
      ['pg-index-without-concurrently', 'medium'],
    ]);
    expect(widen.locks).toEqual([{ table: 'big', mode: 'ACCESS EXCLUSIVE', blocksReads: true, blocksWrites: true, rows: 5000 }]);
    expect([widen.blocksReads, widen.blocksWrites]).toEqual([['big'], ['big']]);
    expect(widen.rules[0]).toMatchObject({ line: 2, table: 'big', rows: 5000, statement: 'ALTER TABLE big ALTER COLUMN v TYPE bigint' });
    expect(widen.rules[0].explanation).toContain('rewrites big (about 5,000 rows)');
    expect(widen.rules[1].saferWay).toContain('CREATE INDEX CONCURRENTLY');
    expect(rulesOf(index)).toEqual([['pg-non-transactional', 'low']]);
    expect(index.locks).toEqual([{ table: 'big', mode: 'SHARE UPDATE EXCLUSIVE', blocksReads: false, blocksWrites: false, rows: 5000 }]);
    expect([index.blocksReads, index.blocksWrites]).toEqual([[], []]);
    // NOT VALID, then VALIDATE: no finding; the SHARE ROW EXCLUSIVE locks of ADD CONSTRAINT are brief (nothing is scanned)
    expect(rulesOf(link)).toEqual([]);
    expect(link.locks.map((l: { table: string; mode: string }) => [l.table, l.mode])).toEqual([
      ['child', 'SHARE ROW EXCLUSIVE'],
      ['big', 'SHARE ROW EXCLUSIVE'],
    ]);
    expect([code.kind, code.statements, code.locks, rulesOf(code)]).toEqual(['module', null, [], [['pg-code-not-analyzed', 'medium']]]);
    expect(code.rules[0].explanation).toContain('not analyzed (code)');
    expect(doc.riskReasons[0]).toMatch(/^0002_widen: line 2: rewrites big .*\[pg-column-type-rewrite, high\]$/);
    expect([doc.blocksReads, doc.blocksWrites]).toEqual([['big'], ['big', 'child']]);
    expect(await catalog(url)).toEqual(before);

    // the human rendering lists each step's locks, what they block, and the safer way
    const human = mfmig(dir, ['--db', url, 'plan', '--to', '2']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Risk:      HIGH');
    expect(human.stdout).toContain('big -> ACCESS EXCLUSIVE (blocks reads and writes, about 5,000 rows)');
    expect(human.stdout).toMatch(/safer: add a new column of the new type/);
    expect(human.stdout).not.toContain('0003_index');
    expect(await catalog(url)).toEqual(before);
  });

  it('plans an empty database in a schema that does not exist without creating anything; tables of earlier steps are new', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_base.sql': BASE,
      'mvp1/0002_widen.sql': sqlMigration('ALTER TABLE big ALTER COLUMN v TYPE bigint;\nCREATE INDEX ON big (v);'),
    });
    const before = await catalog(url);
    const plan = mfmig(dir, ['--db', url, '--schema', 'not_yet', '--json', 'plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect([plan.json.currentVersion, plan.json.steps.length, plan.json.riskLevel]).toEqual([0, 2, 'low']);
    expect(plan.json.steps[1].locks).toEqual([{ table: 'big', mode: 'ACCESS EXCLUSIVE', blocksReads: false, blocksWrites: false, created: true }]);
    expect(await catalog(url)).toEqual(before);
  });

  it('refuses the options of SQLite and a target below the current version in one line (exit 2), and exits 1 when migrate would refuse a step', async () => {
    const { url, dir } = await migratedBase();
    const before = await catalog(url);
    const threshold = mfmig(dir, ['--db', url, 'plan', '--downtime-threshold', '5']);
    expect([threshold.code, threshold.stderr.trim().split('\n').length, threshold.stderr]).toEqual([2, 1, expect.stringContaining('--downtime-threshold')]);
    const down = mfmig(dir, ['--db', url, '--json', 'plan', '--to', '0']);
    expect([down.code, down.json.error.code]).toEqual([2, 'USAGE']);
    writeMigrations(dir, { 'mvp1/0002_index.sql': sqlMigration('CREATE INDEX CONCURRENTLY big_v ON big (v);') });
    const refused = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect([refused.code, refused.json.riskLevel, rulesOf(refused.json.steps[0])]).toEqual([1, 'critical', [['pg-refused-in-transaction', 'critical']]]);
    expect(await catalog(url)).toEqual(before);
  });

  it('makes migrate refuse a high-risk plan without --yes when stdout is not a terminal, and run it with --yes', async () => {
    const { url, dir } = await migratedBase();
    writeMigrations(dir, { 'mvp1/0002_widen.sql': sqlMigration('ALTER TABLE big ALTER COLUMN v TYPE bigint;') });
    const before = await catalog(url);
    const refused = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect([refused.code, refused.json.error.code]).toEqual([3, 'RISK_NOT_ACCEPTED']);
    expect(refused.json.error.message).toContain('pg-column-type-rewrite');
    expect(await catalog(url)).toEqual(before);
    const accepted = mfmig(dir, ['--db', url, '--json', '--yes', 'migrate']);
    expect([accepted.code, accepted.json.toVersion], accepted.stderr).toEqual([0, 2]);
    const after = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect([after.code, after.json.direction, after.json.steps, after.json.riskLevel]).toEqual([0, 'none', [], 'low']);
  });
});
