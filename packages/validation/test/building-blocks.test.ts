import { describe, expect, it } from 'vitest';
import { buildReport, finding, mergeRequirements, overallHealth, parseMilestoneSpec, type MilestoneSpec } from '@mfmig/validation';
import { aliasMap } from '../src/checks/performance-check.js';
import { columnOfExpression, extractCheckConstraints } from '../src/schema/check-constraints.js';

describe('CHECK constraint extraction', () => {
  it('finds column and table constraints, whatever the quoting and nesting', () => {
    const sql = `CREATE TABLE "t(" (
      a TEXT CHECK (a IN ('x', 'y)')),  -- a comment with CHECK (1)
      "check" INTEGER NOT NULL DEFAULT 0 CONSTRAINT positive CHECK("check" >= 0),
      b TEXT /* CHECK (0) */,
      CHECK ((a IS NULL) <> (b IS NULL))
    )`;
    expect(extractCheckConstraints(sql)).toEqual(["a IN ('x', 'y)')", '"check" >= 0', '(a IS NULL) <> (b IS NULL)']);
    expect(columnOfExpression('"check" >= 0', ['a', 'check', 'b'])).toBe('check');
    expect(columnOfExpression('(a IS NULL) <> (b IS NULL)', ['a', 'check', 'b'])).toBeUndefined();
    expect(columnOfExpression("a IN ('b')", ['a', 'b'])).toBe('a');
  });
});

describe('milestone declarations', () => {
  const spec = (value: unknown): MilestoneSpec => {
    const parsed = parseMilestoneSpec(value);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.spec;
  };

  it('merge: later milestones add, replace domains and queries, and retire', () => {
    const specs = new Map([
      [
        1,
        spec({
          milestone: 1,
          tables: { a: { columns: ['x', 'y'], domains: { x: ['1'] }, indexes: [{ columns: ['y'] }] }, b: {} },
          views: ['v'],
          criticalQueries: [{ name: 'q', sql: 'SELECT 1' }],
        }),
      ],
      [
        2,
        spec({
          milestone: 2,
          tables: { a: { domains: { x: ['1', '2'] } }, c: { columns: ['z'] } },
          criticalQueries: [{ name: 'q', sql: 'SELECT 2' }],
          retires: { tables: ['b'], columns: { a: ['y'] } },
        }),
      ],
    ]);
    const one = mergeRequirements(specs, 1);
    expect(one.tables.map((t) => t.table)).toEqual(['a', 'b']);
    const two = mergeRequirements(specs, 2);
    expect(two.tables.map((t) => `${t.table}@${t.milestone}`)).toEqual(['a@1', 'c@2']);
    expect(two.columns.map((c) => `${c.table}.${c.column}`)).toEqual(['a.x', 'c.z']);
    expect(two.domains).toEqual([{ table: 'a', column: 'x', values: ['1', '2'], milestone: 2 }]);
    expect(two.indexes).toEqual([]);
    expect(two.queries.map((q) => [q.sql, q.milestone])).toEqual([['SELECT 2', 2]]);
    expect(two.views.map((v) => v.view)).toEqual(['v']);
  });

  it('names the field of an invalid declaration', () => {
    expect(parseMilestoneSpec({ milestone: 1, tables: { a: { domians: {} } } })).toEqual({ ok: false, message: expect.stringContaining('tables.a') });
    expect(parseMilestoneSpec({ milestone: 0 })).toEqual({ ok: false, message: expect.stringContaining('milestone') });
  });
});

describe('report', () => {
  it('scores health 0-100, caps it at 40 with a critical finding, and splits errors from warnings', () => {
    const low = finding('INDEX_REDUNDANT', 'm', 's');
    const high = finding('FK_VIOLATION', 'm', 's', { table: 't' });
    const critical = finding('DATABASE_CORRUPT', 'm', 's');
    expect(overallHealth([])).toBe(100);
    expect(overallHealth([low, high])).toBe(89);
    expect(overallHealth([critical])).toBe(40);
    expect(overallHealth(Array.from({ length: 20 }, () => high))).toBe(0);
    const report = buildReport({
      operation: 'comprehensive',
      level: 'standard',
      database: 'x',
      startedAt: performance.now(),
      findings: [low, critical, high, high],
      checksRun: [],
      checksSkipped: [],
    });
    expect(report.errors.map((f) => f.code)).toEqual(['DATABASE_CORRUPT', 'FK_VIOLATION']);
    expect(report.warnings.map((f) => f.code)).toEqual(['INDEX_REDUNDANT']);
    expect(report.summary).toEqual({ overallHealth: 40, criticalIssues: 1, migrationSafety: 'unsafe' });
    expect(report.isValid).toBe(false);
  });
});

describe('query aliases', () => {
  it('maps aliases of FROM and JOIN, also in views', () => {
    const map = aliasMap('SELECT * FROM kb_tags t JOIN "kb_entries" AS e ON e.id = t.entry_id WHERE t.tag = ?', ['CREATE VIEW v AS SELECT * FROM incidents i']);
    expect(Object.fromEntries(map)).toEqual({
      kb_tags: 'kb_tags',
      t: 'kb_tags',
      kb_entries: 'kb_entries',
      e: 'kb_entries',
      incidents: 'incidents',
      i: 'incidents',
    });
  });
});
