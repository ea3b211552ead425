// framework.validation's plan and rollback checks on PostgreSQL: validateMigrationPlan and
// validateRollbackResult with SQLite's checks and codes, read-only. Every test runs against the
// live server, in a scratch database of its own.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresValidationDocument } from '@mfmig/validation';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { tempDir } from './helpers.js';
import { codeOf, framework, rows, seed, sqlFolder } from './postgres-framework-helpers.js';

afterAll(dropScratchDatabases);

const HISTORY = 'SELECT * FROM kb.mfmig_history ORDER BY version';
const TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'kb' ORDER BY table_name";

const codes = (report: PostgresValidationDocument) => [...report.errors, ...report.warnings].map((f) => f.code);

/** The history rows and the tables of schema `kb`, to show that validating changed nothing. */
async function schemaState(url: string): Promise<unknown[]> {
  return [await rows(url, HISTORY), await rows(url, TABLES)];
}

describe('PostgresValidationService: validateMigrationPlan and validateRollbackResult', () => {
  it('validates a fresh plan clean, and finds a stale plan, a malformed one and an unknown step', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    try {
      await fw.migrationService.executeMVPMigration(1);
      await seed(url, 'kb', 50);
      const plan = await fw.planner.createComprehensiveMigrationPlan(3, { rehearse: false });
      let before = await schemaState(url);
      const fresh = await fw.validation.validateMigrationPlan(plan);
      expect(fresh).toMatchObject({ dialect: 'postgres', operation: 'plan', isValid: true, valid: true, errors: [], currentVersion: 2, latestVersion: 17 });
      expect(fresh.milestone.current).toBe(1);
      expect(fresh.checksRun.map((c) => c.id)).toEqual(['history.read', 'history.status', 'plan.steps', 'plan.resources']);
      expect(await schemaState(url)).toEqual(before);

      await fw.migrationService.executeMVPMigration(2);
      before = await schemaState(url);
      const stale = await fw.validation.validateMigrationPlan(plan);
      expect(stale.isValid).toBe(false);
      expect(codes(stale)).toContain('PLAN_STALE');
      expect(stale.errors.filter((f) => f.code === 'PLAN_STEP_APPLIED').map((f) => f.location.version)).toEqual([3, 4, 5]);

      const malformed = await fw.validation.validateMigrationPlan({ currentMVP: 'one', steps: 'all' } as never);
      expect(malformed.errors.map((f) => [f.code, f.severity])).toEqual([['PLAN_INVALID', 'critical']]);
      expect(malformed.isValid).toBe(false);

      const unknown = await fw.validation.validateMigrationPlan({ currentMVP: 2, targetMVP: 3, steps: [6, 7, 8, 9, 99] });
      expect(unknown.errors.map((f) => [f.code, f.location.version])).toEqual([['PLAN_STEP_UNKNOWN', 99]]);
      expect(await schemaState(url)).toEqual(before);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('after a rollback to MVP1, finds nothing above its last version, and every version still applied above a lower one', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    try {
      await fw.migrationService.executeMVPMigration(2);
      await fw.rollbackManager.executeRollbackPlan(await fw.rollbackManager.createRollbackPlan({ mvp: 1 }));
      const before = await schemaState(url);
      const done = await fw.validation.validateRollbackResult(2);
      expect(done).toMatchObject({ operation: 'rollback', isValid: true, valid: true, errors: [], currentVersion: 2 });
      expect(done.checksRun.map((c) => c.id)).toEqual(
        expect.arrayContaining(['history.status', 'integrity.foreign-key-orphans', 'schema.expected', 'rollback.history']),
      );

      const lower = await fw.validation.validateRollbackResult(1);
      expect(lower).toMatchObject({ operation: 'rollback', isValid: false, valid: false });
      expect(lower.errors.map((f) => [f.code, f.severity, f.location.version, f.count])).toEqual([['ROLLBACK_INCOMPLETE', 'critical', 2, 1]]);
      expect(lower.summary.migrationSafety).toBe('unsafe');
      expect(await schemaState(url)).toEqual(before);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('finds a down step without a down migration and an unknown rollback target; the plan disk space is skipped; a folder gone is refused', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = sqlFolder(dir, {
      'mvp1/0001_notes.sql': { up: 'CREATE TABLE notes (id integer PRIMARY KEY);', down: 'DROP TABLE notes;' },
      'mvp2/0002_tags.sql': { up: 'CREATE TABLE tags (id integer PRIMARY KEY);' },
    });
    const fw = framework(url, 'kb', folder, dir);
    try {
      await fw.migrationService.migrateTo({ latest: true });
      const before = await schemaState(url);
      const down = await fw.validation.validateMigrationPlan({
        currentMVP: 2,
        targetMVP: 1,
        steps: [{ version: 2, direction: 'down' }],
        riskLevel: 'high',
        storageRequired: Number.MAX_SAFE_INTEGER,
      });
      expect(codes(down)).toEqual(['PLAN_NO_DOWN', 'PLAN_HIGH_RISK']);
      expect(down.checksSkipped).toEqual([expect.objectContaining({ id: 'plan.resources', target: 'disk', reason: 'not-applicable' })]);

      const target = await fw.validation.validateRollbackResult(7);
      expect(target.errors.map((f) => f.code)).toEqual(['ROLLBACK_TARGET_UNKNOWN']);
      expect(await schemaState(url)).toEqual(before);

      rmSync(folder, { recursive: true });
      expect(await codeOf(() => fw.validation.validateMigrationPlan({ currentMVP: 2, targetMVP: 2, steps: [] }))).toBe('MIGRATIONS_NOT_FOUND');
    } finally {
      await fw.close();
    }
  }, 120_000);
});
