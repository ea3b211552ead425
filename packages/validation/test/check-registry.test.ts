import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FINDING_CODES, ValidationService, type ValidationReport } from '@mfmig/validation';
import { RECORDER_CODES, VALIDATION_CHECKS } from '../src/checks/registry.js';
import { type ProbeSource, isProbeCheck } from '../src/checks/validation-check.js';
import { MIGRATIONS, copyOf, createKnowledgeBase, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

describe('the check registry', () => {
  it('has unique ids, and shared level-skip lines that are no check of their own', () => {
    const ids = VALIDATION_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const check of VALIDATION_CHECKS) {
      if (check.levelSkip?.id) expect(ids).not.toContain(check.levelSkip.id);
    }
  });

  it('gives every finding code to some check (or to the run recorder), and only known codes', () => {
    const claimed = new Set([...VALIDATION_CHECKS.flatMap((c) => c.codes), ...RECORDER_CODES.map((r) => r.code)]);
    expect(Object.keys(FINDING_CODES).filter((code) => !claimed.has(code as keyof typeof FINDING_CODES))).toEqual([]);
    for (const code of claimed) expect(FINDING_CODES).toHaveProperty(code);
    for (const check of VALIDATION_CHECKS) expect(new Set(check.codes).size).toBe(check.codes.length);
  });

  it('runs each check at one level at least, and a probe source at the levels of every check it serves', () => {
    const bySource = new Map<ProbeSource, string[]>();
    for (const check of VALIDATION_CHECKS) {
      expect(check.levels.length).toBeGreaterThan(0);
      expect(check.description).not.toBe('');
      if (isProbeCheck(check)) bySource.set(check.probes, [...(bySource.get(check.probes) ?? []), check.levels.join()]);
    }
    for (const levels of bySource.values()) expect(new Set(levels).size).toBe(1);
  });

  it('knows every check a run lists, with its kind', async () => {
    const file = join(tempDir(), 'kb.db');
    await createKnowledgeBase(file, { rows: 600 });
    const planted = copyOf(file);
    const db = new Database(planted);
    db.exec('CREATE TABLE p2 (a, b); CREATE TABLE c2 (x REFERENCES p2(b));');
    db.close();
    const corrupt = copyOf(file);
    const reader = new Database(corrupt, { readonly: true });
    const pages = reader.prepare("SELECT pageno FROM dbstat WHERE name = 'kb_entries' AND pagetype = 'leaf' ORDER BY pageno").pluck().all() as number[];
    reader.close();
    const fd = openSync(corrupt, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (pages[Math.floor(pages.length / 2)]! - 1) * 4096);
    closeSync(fd);

    const reports: ValidationReport[] = [];
    for (const database of [planted, corrupt]) {
      const validation = new ValidationService({ database, migrationsPath: MIGRATIONS });
      try {
        for (const level of ['quick', 'standard', 'comprehensive'] as const) reports.push(await validation.performComprehensiveValidation({ level }));
        reports.push(await validation.validatePreMigrationState());
        reports.push(await validation.validatePostMigration(2));
        reports.push(await validation.validateRollbackResult(1));
        reports.push(await validation.validateMigrationPlan({ currentMVP: 1, targetMVP: 2, steps: [3, 4, 5] }));
      } finally {
        validation.close();
      }
    }
    const kinds = new Map<string, string>(VALIDATION_CHECKS.map((c) => [c.id, c.kind]));
    for (const check of VALIDATION_CHECKS) if (check.levelSkip?.id) kinds.set(check.levelSkip.id, check.kind);
    const listed = reports.flatMap((r) => [...r.checksRun, ...r.checksSkipped]);
    for (const { id, kind } of listed) expect({ id, kind }).toEqual({ id, kind: kinds.get(id) });
    const ids = new Set(listed.map((c) => c.id));
    for (const id of ['integrity.locate', 'referential.foreign_key_check', 'data.declarations', 'plan.steps', 'pre.lock']) expect(ids).toContain(id);
  });
});
