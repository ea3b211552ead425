import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IntegrityCheckLevel, createServiceContext } from '@mfmig/core';
import { createTransformerPlugin } from '@mfmig/transformer';
import { ValidationService } from '@mfmig/validation';
import { MIGRATIONS, allFindings, copyOf, createKnowledgeBase, sha256, tempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const LEVELS: IntegrityCheckLevel[] = ['quick', 'standard', 'comprehensive'];
let mvp1: string;
let mvp5: string;
let mvp5Seeded: string;

beforeAll(async () => {
  mvp1 = join(tempDir(), 'mvp1.db');
  await createKnowledgeBase(mvp1, { rows: 3000 });
  mvp5 = join(tempDir(), 'mvp5.db');
  await createKnowledgeBase(mvp5, { rows: 0, mvp: 5 });
  mvp5Seeded = join(tempDir(), 'mvp5-seeded.db');
  await createKnowledgeBase(mvp5Seeded, { rows: 3000, mvp: 5, plugins: [createTransformerPlugin()] });
});

describe('a clean database gives no findings', () => {
  for (const level of LEVELS) {
    it(`seeded MVP1 at the ${level} level, checked in-process and in child processes`, async () => {
      for (const inProcessMaxBytes of [Number.MAX_SAFE_INTEGER, 0]) {
        const validation = new ValidationService({ database: mvp1, migrationsPath: MIGRATIONS, inProcessMaxBytes, largeTableRows: 100 });
        const report = await validation.performComprehensiveValidation({ level });
        validation.close();
        expect(allFindings(report)).toEqual([]);
        expect(report).toMatchObject({ isValid: true, level, summary: { overallHealth: 100, criticalIssues: 0, migrationSafety: 'safe' } });
        expect(report.milestone).toEqual({ current: 1, compliance: [{ milestone: 1, complete: true, missing: [] }] });
        expect(report.checksSkipped.filter((s) => s.reason !== 'level')).toEqual([]);
        const ran = report.checksRun.map((c) => c.id);
        expect(ran).toContain(level === 'comprehensive' ? 'integrity.integrity_check' : 'integrity.quick_check');
        expect(ran).toContain('referential.foreign_key_check');
        expect(ran).toContain('schema.expected');
        expect(ran.includes('data.domain')).toBe(level !== 'quick');
        expect(ran.includes('performance.fragmentation')).toBe(level === 'comprehensive');
        // checked in child processes, this rollback-journal file was read on a snapshot, gone now
        expect(readdirSync(dirname(mvp1)).filter((n) => n.includes('.mfmig-snapshot-'))).toEqual([]);
      }
    });
  }

  for (const [label, file] of [
    ['empty', () => mvp5],
    ['seeded and transformed (the transformer plugin moved the KB data)', () => mvp5Seeded],
  ] as const) {
    it(`MVP5, ${label}, at the comprehensive level`, async () => {
      const validation = new ValidationService({ database: file(), migrationsPath: MIGRATIONS });
      const report = await validation.performComprehensiveValidation({ level: 'comprehensive' });
      validation.close();
      expect(allFindings(report)).toEqual([]);
      expect(report.milestone.current).toBe(5);
      expect(report.milestone.compliance.map((c) => [c.milestone, c.complete])).toEqual([
        [1, true],
        [2, true],
        [3, true],
        [4, true],
        [5, true],
      ]);
      expect(report.checksSkipped.filter((s) => s.reason !== 'level')).toEqual([]);
    });
  }
});

describe('the validator never writes to the database it checks', () => {
  for (const level of LEVELS) {
    it(`leaves every byte as it was (${level}; path and read-write handle; in-process and children)`, async () => {
      const file = copyOf(mvp1);
      const before = sha256(file);
      for (const inProcessMaxBytes of [Number.MAX_SAFE_INTEGER, 0]) {
        const byPath = new ValidationService({ database: file, migrationsPath: MIGRATIONS, inProcessMaxBytes });
        await byPath.performComprehensiveValidation({ level });
        await byPath.validatePreMigrationState({ level });
        await byPath.validateRollbackResult(2, { level });
        byPath.close();
        const db = new Database(file);
        const byHandle = new ValidationService({ database: db, migrationsPath: MIGRATIONS, inProcessMaxBytes });
        await byHandle.performComprehensiveValidation({ level });
        await byHandle.validatePostMigration(2, { level });
        await byHandle.validateMigrationPlan({ currentMVP: 1, targetMVP: 1, steps: [] });
        db.close();
      }
      expect(sha256(file)).toBe(before);
    });
  }
});

describe('the validator never writes to a WAL database either', () => {
  it('leaves the database file as it was while a writer holds uncheckpointed WAL content', async () => {
    const file = copyOf(mvp1);
    const writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec("INSERT INTO kb_tags (entry_id, tag) VALUES (1, 'WAL')");
    const before = sha256(file);
    for (const inProcessMaxBytes of [Number.MAX_SAFE_INTEGER, 0]) {
      const validation = new ValidationService({ database: file, migrationsPath: MIGRATIONS, inProcessMaxBytes });
      const report = await validation.performComprehensiveValidation({ level: 'comprehensive' });
      validation.close();
      expect(allFindings(report)).toEqual([]);
    }
    expect(sha256(file)).toBe(before);
    expect(writer.prepare("SELECT count(*) FROM kb_tags WHERE tag = 'WAL'").pluck().get()).toBe(1);
    writer.close();
  });
});

describe('construction', () => {
  it('without migrationsPath, schema and milestone checks are reported as not run', async () => {
    const db = new Database(mvp1, { readonly: true });
    const previous = process.env.MIGRATION_PATH;
    delete process.env.MIGRATION_PATH;
    try {
      const report = await new ValidationService({ database: db }).performComprehensiveValidation();
      const skipped = report.checksSkipped.filter((s) => s.reason === 'no-migrations').map((s) => s.id);
      expect(skipped).toEqual(expect.arrayContaining(['schema.expected', 'milestone.compliance', 'performance.critical_query', 'history.status']));
      expect(report.checksRun.map((c) => c.id)).not.toContain('schema.expected');
      expect(report.checksRun.map((c) => c.id)).not.toContain('milestone.compliance');
      expect(report.milestone).toEqual({ current: null, compliance: [] });
      expect(report.isValid).toBe(true);
    } finally {
      if (previous !== undefined) process.env.MIGRATION_PATH = previous;
      db.close();
    }
  });

  it('takes a core ServiceContext, and the level from INTEGRITY_CHECK_LEVEL', async () => {
    process.env.INTEGRITY_CHECK_LEVEL = 'quick';
    try {
      const ctx = createServiceContext({ database: mvp1, migrationsPath: MIGRATIONS }, { mode: 'readonly' });
      const report = await new ValidationService(ctx).performComprehensiveValidation();
      ctx.close();
      expect(report.level).toBe('quick');
      expect(report.isValid).toBe(true);
      expect(report.milestone.current).toBe(1);
    } finally {
      delete process.env.INTEGRITY_CHECK_LEVEL;
    }
  });

  it('refuses an unknown level and an invalid configuration with coded errors', async () => {
    const validation = new ValidationService({ database: mvp1, migrationsPath: MIGRATIONS });
    await expect(validation.performComprehensiveValidation({ level: 'deep' as IntegrityCheckLevel })).rejects.toMatchObject({ code: 'USAGE' });
    validation.close();
    expect(() => new ValidationService({ database: mvp1, integrityCheckLevel: 'deep' as IntegrityCheckLevel })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
