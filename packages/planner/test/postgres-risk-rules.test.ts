import { describe, expect, it } from 'vitest';
import { type PgLockMode, analyzePostgresSql } from '@mfmig/core';
import { POSTGRES_RISK_RULES, type PgPlanInfo, pgLockBlocks, planPostgresMigration } from '@mfmig/planner';

/** The plan of a script, transactional unless told otherwise. */
async function plan(sql: string, info: Partial<PgPlanInfo> = {}) {
  return planPostgresMigration(await analyzePostgresSql(sql), { transactional: true, ...info });
}

/** The rule ids a script's plan finds, with their levels. */
async function rulesOf(sql: string, info: Partial<PgPlanInfo> = {}): Promise<string[]> {
  return (await plan(sql, info)).findings.map((f) => `${f.rule}:${f.severity}`);
}

describe('PostgreSQL risk rules', () => {
  it('has one rule per fact of the analyser, plus one for transaction: none files, each with a level, what it blocks and a safer way', () => {
    expect(POSTGRES_RISK_RULES.map((r) => [r.id, r.fact, r.level, r.blocks.reads, r.blocks.writes])).toEqual([
      ['pg-column-type-rewrite', 'COLUMN_TYPE_REWRITE', 'high', true, true],
      ['pg-volatile-default-rewrite', 'VOLATILE_DEFAULT_REWRITE', 'high', true, true],
      ['pg-set-not-null-scan', 'SET_NOT_NULL_SCAN', 'medium', true, true],
      ['pg-index-without-concurrently', 'INDEX_WITHOUT_CONCURRENTLY', 'medium', false, true],
      ['pg-foreign-key-validates', 'FOREIGN_KEY_VALIDATES', 'medium', false, true],
      ['pg-check-validates', 'CHECK_VALIDATES', 'medium', true, true],
      ['pg-access-exclusive', 'ACCESS_EXCLUSIVE', 'medium', true, true],
      ['pg-enum-value-in-transaction', 'ENUM_VALUE_UNUSABLE_IN_TRANSACTION', 'low', false, false],
      ['pg-transaction-control', 'TRANSACTION_CONTROL', 'high', false, false],
      ['pg-refused-in-transaction', 'REFUSED_IN_TRANSACTION', 'critical', false, false],
      ['pg-non-transactional', 'NON_TRANSACTIONAL', 'low', false, false],
    ]);
    for (const r of POSTGRES_RISK_RULES) expect(r.saferWay.length, r.id).toBeGreaterThan(20);
  });

  it.each([
    ['ALTER TABLE big ALTER COLUMN v TYPE bigint', ['pg-column-type-rewrite:high']],
    ['ALTER TABLE big ADD COLUMN u uuid DEFAULT gen_random_uuid()', ['pg-volatile-default-rewrite:high']],
    ['ALTER TABLE big ADD COLUMN n bigserial', ['pg-volatile-default-rewrite:high']],
    ['ALTER TABLE big ALTER COLUMN v SET NOT NULL', ['pg-set-not-null-scan:medium']],
    ['CREATE INDEX big_v ON big (v)', ['pg-index-without-concurrently:medium']],
    ['ALTER TABLE child ADD CONSTRAINT child_big FOREIGN KEY (big_id) REFERENCES big (id)', ['pg-foreign-key-validates:medium']],
    ['ALTER TABLE big ADD CONSTRAINT v_positive CHECK (v > 0)', ['pg-check-validates:medium']],
    ['ALTER TABLE big ADD COLUMN note text', ['pg-access-exclusive:medium']],
    ['DROP TABLE big', ['pg-access-exclusive:medium']],
    ["ALTER TYPE mood ADD VALUE 'calm'", ['pg-enum-value-in-transaction:low']],
    ['COMMIT', ['pg-transaction-control:high']],
  ])('fires on %s', async (sql, expected) => {
    expect(await rulesOf(sql)).toEqual(expected);
  });

  it.each([
    ['ALTER TABLE big ADD COLUMN u uuid', ['pg-access-exclusive:medium']],
    ["ALTER TABLE big ADD COLUMN status text NOT NULL DEFAULT 'new'", ['pg-access-exclusive:medium']],
    ['ALTER TABLE child ADD CONSTRAINT child_big FOREIGN KEY (big_id) REFERENCES big (id) NOT VALID', []],
    ['ALTER TABLE child VALIDATE CONSTRAINT child_big', []],
    ['ALTER TABLE big ADD CONSTRAINT v_positive CHECK (v > 0) NOT VALID', ['pg-access-exclusive:medium']],
    ['SELECT 1', []],
    ['UPDATE big SET v = 0 WHERE id < 1000', []],
  ])('does not fire the specific rule on the safe form %s', async (sql, expected) => {
    expect(await rulesOf(sql)).toEqual(expected);
  });

  it('finds nothing on tables the same script creates, and counts them as blocking nobody', async () => {
    const p = await plan(
      `CREATE TABLE fresh (id bigint PRIMARY KEY, v integer);
       CREATE INDEX fresh_v ON fresh (v);
       ALTER TABLE fresh ALTER COLUMN v TYPE bigint;
       ALTER TABLE fresh ALTER COLUMN v SET NOT NULL;
       ALTER TABLE fresh ADD CONSTRAINT v_positive CHECK (v > 0);
       CREATE TABLE "Quoted" (id integer);
       CREATE INDEX ON "Quoted" (id);`,
    );
    expect(p.findings).toEqual([]);
    expect(p.riskLevel).toBe('low');
    expect(p.locks).toEqual([
      { table: 'fresh', mode: 'ACCESS EXCLUSIVE', blocksReads: false, blocksWrites: false, created: true },
      { table: 'Quoted', mode: 'SHARE', blocksReads: false, blocksWrites: false, created: true },
    ]);
    expect([p.blocksReads, p.blocksWrites]).toEqual([[], []]);
  });

  it('still finds the lock a new table takes on an existing one it references', async () => {
    const p = await plan('CREATE TABLE fresh (id bigint, big_id bigint REFERENCES big (id));');
    expect(p.findings).toEqual([]);
    expect(p.locks).toEqual([{ table: 'big', mode: 'SHARE ROW EXCLUSIVE', blocksReads: false, blocksWrites: true }]);
    expect(p.blocksWrites).toEqual(['big']);
  });

  it.each<[PgLockMode, boolean, boolean]>([
    ['ACCESS SHARE', false, false],
    ['ROW SHARE', false, false],
    ['ROW EXCLUSIVE', false, false],
    ['SHARE UPDATE EXCLUSIVE', false, false],
    ['SHARE', false, true],
    ['SHARE ROW EXCLUSIVE', false, true],
    ['EXCLUSIVE', false, true],
    ['ACCESS EXCLUSIVE', true, true],
  ])('%s blocks reads: %s, writes: %s', (mode, reads, writes) => {
    expect(pgLockBlocks(mode)).toEqual({ reads, writes });
  });

  it('keeps the strongest lock per table and says which tables are blocked, by statement lock modes', async () => {
    const p = await plan(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS a_x ON a (x);
       SELECT * FROM b;
       CREATE INDEX c_x ON c (x);
       ALTER TABLE d ADD CONSTRAINT d_a FOREIGN KEY (a_id) REFERENCES a (id);
       ALTER TABLE c ADD COLUMN y integer;
       REFRESH MATERIALIZED VIEW CONCURRENTLY e;
       UPDATE f SET x = 1;`,
      { transactional: false },
    );
    expect(p.locks.map((l) => [l.table, l.mode, l.blocksReads, l.blocksWrites])).toEqual([
      ['a', 'SHARE ROW EXCLUSIVE', false, true],
      ['b', 'ACCESS SHARE', false, false],
      ['c', 'ACCESS EXCLUSIVE', true, true],
      ['d', 'SHARE ROW EXCLUSIVE', false, true],
      ['e', 'EXCLUSIVE', false, true],
      ['f', 'ROW EXCLUSIVE', false, false],
    ]);
    expect(p.blocksReads).toEqual(['c']);
    expect(p.blocksWrites).toEqual(['a', 'c', 'd', 'e']);
  });

  it('names the rows of the table in the reason, and raises a rewrite of a million rows to critical', async () => {
    const rows = new Map([['kb_entries', 1_000_000]]);
    const p = await plan('ALTER TABLE kb_entries ALTER COLUMN score TYPE numeric;\nCREATE INDEX ON kb_entries (score);', { tableRows: rows });
    expect(p.findings.map((f) => [f.rule, f.severity, f.line, f.rows])).toEqual([
      ['pg-column-type-rewrite', 'critical', 1, 1_000_000],
      ['pg-index-without-concurrently', 'high', 2, 1_000_000],
    ]);
    expect(p.findings[0]!.explanation).toContain('rewrites kb_entries (about 1,000,000 rows)');
    expect(p.findings[0]!.explanation).toContain('every read and write of it waits until the migration commits');
    expect(p.findings[1]!.saferWay).toContain('CREATE INDEX CONCURRENTLY');
    expect(p.riskLevel).toBe('critical');
    // a small count keeps the rule's level (reltuples may be stale), and an unknown one is left out
    const small = await plan('ALTER TABLE kb_entries ALTER COLUMN score TYPE numeric;', { tableRows: new Map([['kb_entries', 10]]) });
    expect(small.findings.map((f) => [f.severity, f.explanation.includes('about 10 rows')])).toEqual([['high', true]]);
    const unknown = await plan('ALTER TABLE kb_entries ALTER COLUMN score TYPE numeric;');
    expect(unknown.findings[0]!.rows).toBeUndefined();
    expect(unknown.findings[0]!.explanation).not.toContain('rows');
  });

  it('tells the safer way: NOT VALID then VALIDATE, CHECK before SET NOT NULL, no default then backfill', async () => {
    const p = await plan(
      `ALTER TABLE child ADD CONSTRAINT child_big FOREIGN KEY (big_id) REFERENCES big (id);
       ALTER TABLE big ALTER COLUMN v SET NOT NULL;
       ALTER TABLE big ADD COLUMN token uuid DEFAULT gen_random_uuid();`,
    );
    expect(p.findings.map((f) => f.saferWay)).toEqual([
      expect.stringMatching(/NOT VALID, then VALIDATE CONSTRAINT in a later migration/),
      expect.stringMatching(/CHECK \(col IS NOT NULL\) NOT VALID.*then SET NOT NULL/),
      expect.stringMatching(/without default.*backfill the existing rows in batches/),
    ]);
    expect(p.findings[0]!.explanation).toMatch(/writes to it and to big wait/);
    expect([p.findings[0]!.blocksReads, p.findings[0]!.blocksWrites, p.findings[1]!.blocksReads]).toEqual([false, true, true]);
  });

  it('flags the statements of a transaction: none file, low for one statement and medium for several', async () => {
    const one = await plan('CREATE INDEX CONCURRENTLY big_v ON big (v);', { transactional: false });
    expect(one.findings.map((f) => [f.rule, f.severity])).toEqual([['pg-non-transactional', 'low']]);
    expect(one.findings[0]!.explanation).toContain('runs outside a transaction: a failure leaves earlier statements applied');
    expect([one.riskLevel, one.blocksWrites, one.locks[0]!.mode]).toEqual(['low', [], 'SHARE UPDATE EXCLUSIVE']);
    const two = await plan('CREATE INDEX CONCURRENTLY big_v ON big (v);\nCREATE INDEX CONCURRENTLY big_w ON big (w);', { transactional: false });
    expect(two.findings.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['pg-non-transactional', 'medium', 1],
      ['pg-non-transactional', 'medium', 2],
    ]);
    // a none file that needs no such statement is flagged once; an enum value added there is usable at once
    const plain = await plan("ALTER TYPE mood ADD VALUE 'calm';", { transactional: false });
    expect(plain.findings.map((f) => [f.rule, f.severity])).toEqual([['pg-non-transactional', 'low']]);
    // transaction control in a none file is the file's own business
    expect(await rulesOf('BEGIN;\nUPDATE big SET v = 1;\nCOMMIT;', { transactional: false })).toEqual([
      'pg-transaction-control:low',
      'pg-non-transactional:medium',
      'pg-transaction-control:low',
    ]);
  });

  it('does not repeat the generic ACCESS EXCLUSIVE finding where a specific rule already names the table', async () => {
    expect(await rulesOf('ALTER TABLE big ALTER COLUMN v TYPE bigint, ADD COLUMN w integer;')).toEqual(['pg-column-type-rewrite:high']);
    expect(await rulesOf('ALTER TABLE big ALTER COLUMN v TYPE bigint;\nALTER TABLE big ADD COLUMN w integer;')).toEqual([
      'pg-column-type-rewrite:high',
      'pg-access-exclusive:medium',
    ]);
  });

  it('says migrate refuses a statement PostgreSQL does not run in a transaction block, in a transactional file', async () => {
    const p = await plan('CREATE TABLE t (id integer);\nCREATE INDEX CONCURRENTLY t_id ON t (id);');
    expect(p.findings.map((f) => [f.rule, f.severity, f.line])).toEqual([['pg-refused-in-transaction', 'critical', 2]]);
    expect(p.findings[0]!.saferWay).toContain('-- transaction: none');
    expect(p.riskLevel).toBe('critical');
  });

  it('treats the tables earlier steps of the plan create as new, and reports those this script creates', async () => {
    const first = await plan('CREATE TABLE public.orders (id bigint PRIMARY KEY, total integer);\nCREATE TABLE IF NOT EXISTS maybe (id integer);');
    expect(first.created).toEqual(['orders']);
    const second = await plan('ALTER TABLE orders ALTER COLUMN total TYPE bigint;\nCREATE INDEX ON orders (total);\nCREATE INDEX ON maybe (id);', {
      createdEarlier: new Set(first.created),
    });
    expect(second.findings.map((f) => [f.rule, f.table])).toEqual([['pg-index-without-concurrently', 'maybe']]);
    expect(second.blocksWrites).toEqual(['maybe']);
    expect(second.locks.find((l) => l.table === 'orders')).toEqual({
      table: 'orders',
      mode: 'ACCESS EXCLUSIVE',
      blocksReads: false,
      blocksWrites: false,
      created: true,
    });
  });
});
