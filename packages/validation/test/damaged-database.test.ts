import { closeSync, openSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServiceContext } from '@mfmig/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationService } from '@mfmig/validation';
import { ChildProbePool } from '../src/probe/probe-pool.js';
import { MIGRATIONS, copyOf, createKnowledgeBase, findingsOf, sha256, tempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

let base: string;

beforeAll(async () => {
  base = join(tempDir(), 'kb.db');
  await createKnowledgeBase(base, { rows: 3000 });
});

/** Overwrites one whole page of `file` with a byte pattern. */
function overwritePage(file: string, page: number, pageSize = 4096): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

/** A leaf page in the middle of a b-tree, found with dbstat. */
function leafPageOf(file: string, btree: string): number {
  const db = new Database(file, { readonly: true });
  const pages = db.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno").pluck().all(btree) as number[];
  db.close();
  return pages[Math.floor(pages.length / 2)]!;
}

describe('a damaged file is reported as corruption, not a crash', () => {
  for (const [where, inProcessMaxBytes] of [
    ['in-process', Number.MAX_SAFE_INTEGER],
    ['in child processes', 0],
  ] as const) {
    for (const [btree, table] of [
      ['kb_entries', 'kb_entries'],
      ['idx_kb_tags_tag', 'kb_tags'],
    ]) {
      it(`an overwritten page of ${btree}, checked ${where}`, async () => {
        const file = copyOf(base);
        overwritePage(file, leafPageOf(file, btree!));
        const before = sha256(file);
        const validation = new ValidationService({ database: file, migrationsPath: MIGRATIONS, inProcessMaxBytes });
        const report = await validation.performComprehensiveValidation({ level: 'quick' });
        validation.close();
        const corrupt = findingsOf(report, 'DATABASE_CORRUPT');
        expect(corrupt.length).toBeGreaterThan(0);
        expect(corrupt.every((f) => f.severity === 'critical' && f.kind === 'integrity')).toBe(true);
        expect(corrupt.some((f) => f.location.object === btree || f.location.table === table)).toBe(true);
        expect(report).toMatchObject({ isValid: false, summary: { migrationSafety: 'unsafe' } });
        expect(report.summary.criticalIssues).toBeGreaterThan(0);
        expect(sha256(file)).toBe(before);
      });
    }
  }

  it('a damaged schema page', async () => {
    const file = copyOf(base);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(3000, 0x5a), 0, 3000, 100);
    closeSync(fd);
    const report = await new ValidationService({ database: file, migrationsPath: MIGRATIONS }).performComprehensiveValidation();
    expect(findingsOf(report, 'DATABASE_CORRUPT')[0]).toMatchObject({ severity: 'critical' });
    expect(report.checksSkipped.some((s) => s.reason === 'corrupt')).toBe(true);
    expect(report.isValid).toBe(false);
  });

  it('a truncated file', async () => {
    const file = copyOf(base);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const report = await new ValidationService({ database: file, migrationsPath: MIGRATIONS }).performComprehensiveValidation();
    expect(findingsOf(report, 'DATABASE_CORRUPT')[0]).toMatchObject({ severity: 'critical' });
    expect(report.checksSkipped).toEqual([expect.objectContaining({ id: 'database.open', reason: 'corrupt' })]);
  });

  it('a file that is not a database, or no file, is an error to the caller (the CLI exits 2)', async () => {
    const notDb = join(tempDir(), 'notes.db');
    writeFileSync(notDb, 'these are not the pages you are looking for\n'.repeat(200));
    await expect(new ValidationService({ database: notDb }).performComprehensiveValidation()).rejects.toMatchObject({ code: 'DATABASE_INVALID' });
    await expect(new ValidationService({ database: join(tempDir(), 'none.db') }).performComprehensiveValidation()).rejects.toMatchObject({
      code: 'DATABASE_NOT_FOUND',
    });
  });
});

describe('the timeout bounds a run and never pretends', () => {
  for (const inProcessMaxBytes of [Number.MAX_SAFE_INTEGER, 0]) {
    it(`lists what was not checked (${inProcessMaxBytes === 0 ? 'children' : 'in-process'})`, async () => {
      const validation = new ValidationService({ database: base, migrationsPath: MIGRATIONS, validationTimeout: 1, inProcessMaxBytes });
      const report = await validation.performComprehensiveValidation({ level: 'comprehensive' });
      validation.close();
      expect(report.isValid).toBe(false);
      expect(findingsOf(report, 'VALIDATION_INCOMPLETE')).toEqual([expect.objectContaining({ severity: 'high' })]);
      expect(report.checksSkipped.filter((s) => s.reason === 'timeout').length).toBeGreaterThan(0);
      const ranIds = new Set(report.checksRun.map((c) => `${c.id}/${c.target ?? ''}`));
      for (const skipped of report.checksSkipped) expect(ranIds.has(`${skipped.id}/${skipped.target ?? ''}`)).toBe(false);
    });
  }

  it('kills a child stuck in one long query at the deadline', async () => {
    // long enough for a child to start and run quick_check on a loaded machine; the endless query
    // counts to 4e9, minutes past any deadline
    const pool = new ChildProbePool({ file: base, parallelism: 2, deadline: performance.now() + 5000 });
    pool.submit([
      { id: 'endless', sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000000) SELECT count(*) AS n FROM c', weight: 100 },
      { id: 'quick', sql: 'PRAGMA quick_check', weight: 1 },
    ]);
    const outcome = await pool.finish();
    expect(outcome.results.get('quick')?.rows).toEqual([{ quick_check: 'ok' }]);
    expect(outcome.unfinished.map((p) => p.id)).toEqual(['endless']);
    expect(outcome.results.has('endless')).toBe(false);
  });
});

describe('a large rollback-journal file is validated on a snapshot taken when the run starts', () => {
  it('does not see damage done to the live file after the snapshot; the next run does', async () => {
    const file = copyOf(base);
    const page = leafPageOf(file, 'kb_entries');
    const validate = () => {
      const ctx = createServiceContext({ database: file, migrationsPath: MIGRATIONS }, { mode: 'readonly' });
      const validation = new ValidationService(ctx, { inProcessMaxBytes: 0 });
      return { ctx, pending: validation.performComprehensiveValidation({ level: 'quick' }) };
    };
    const first = validate();
    overwritePage(file, page);
    const before = await first.pending;
    first.ctx.adapter.close();
    expect(findingsOf(before, 'DATABASE_CORRUPT')).toEqual([]);
    expect(before.isValid).toBe(true);
    const second = validate();
    const after = await second.pending;
    second.ctx.adapter.close();
    expect(findingsOf(after, 'DATABASE_CORRUPT').length).toBeGreaterThan(0);
    expect(readdirSync(dirname(file)).filter((n) => n.includes('.mfmig-snapshot-'))).toEqual([]);
  });
});
