import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MigrationFramework, createMigrationFramework } from '@mfmig/framework';
import { copyMigrations, scalar, seededFramework, tempDir } from './helpers.js';

describe('the documented framework API on the real migrations', () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  it('MigrationService: analyse, dry run, checkpointed migration with events, integrity, progress', async () => {
    const dir = tempDir();
    framework = await seededFramework(dir);
    const service = framework.migrationService;
    const path = await service.analyzeMVPUpgradePath(3);
    expect(path).toMatchObject({ currentMVP: 1, targetMVP: 3, currentVersion: 2, targetVersion: 9, direction: 'up', totalMigrations: 7 });
    expect(path.milestones.map((m) => [m.mvp, m.migrations.map((x) => x.version)])).toEqual([
      [2, [3, 4, 5]],
      [3, [6, 7, 8, 9]],
    ]);

    const dry = await service.executeMVPMigration(3, { dryRun: true, validateIntegrity: true, createCheckpoints: true, enableRollback: true });
    expect(dry).toMatchObject({ success: true, dryRun: true, fromVersion: 2, toVersion: 9 });
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT max(version) FROM mfmig_history')).toBe(2);

    const all: string[] = [];
    const steps: number[] = [];
    service.on('*', (event) => all.push(event));
    service.on('migrationStepCompleted', (d) => steps.push(d.step));
    const result = await service.executeMVPMigration(3, { dryRun: false, validateIntegrity: true, createCheckpoints: true, enableRollback: true });
    expect(result).toMatchObject({ success: true, fromMVP: 1, toMVP: 3, fromVersion: 2, toVersion: 9 });
    expect(result.migrations.map((m) => m.version)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(result.extras).toHaveProperty('checkpoint');
    expect((result.extras.preValidation as { isValid: boolean }).isValid).toBe(true);
    expect((result.extras.postValidation as { isValid: boolean }).isValid).toBe(true);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all).toEqual(expect.arrayContaining(['runStarted', 'migrationStarted', 'migrationStepCompleted', 'progressUpdated', 'runCompleted']));
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT count(*) FROM incidents')).toBe(200);

    const progress = service.getCurrentProgress();
    expect(progress).toMatchObject({ status: 'completed', currentStep: 7, totalSteps: 7 });
    expect(progress!.performance.memoryUsage).toBeGreaterThan(0);
    expect(await service.validateMigrationIntegrity()).toEqual({ isValid: true, problems: [] });

    const down = await service.rollbackMVPMigration(2);
    expect(down).toMatchObject({ success: true, fromVersion: 9, toVersion: 5 });
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT count(*) FROM kb_entries')).toBe(200);
  });

  it('MigrationService: createCheckpoint and resumeFromCheckpoint finish the recorded run', async () => {
    framework = await seededFramework(tempDir());
    const checkpoint = await framework.migrationService.createCheckpoint('to-latest');
    expect(checkpoint.position).toMatchObject({ currentVersion: 2, targetVersion: 17 });
    const resumed = await framework.migrationService.resumeFromCheckpoint(checkpoint.folder);
    expect(resumed).toMatchObject({ fromVersion: 2, toVersion: 17, targetVersion: 17 });
    expect(resumed.error).toBeUndefined();
    expect((await framework.migrationService.status()).currentMvp).toBe(5);
  });

  it('validateMigrationIntegrity reports an edited applied migration', async () => {
    const dir = tempDir();
    const migrations = copyMigrations(dir);
    framework = await seededFramework(dir, { migrationsPath: migrations });
    framework.close();
    writeFileSync(join(migrations, 'mvp1', '0002_add_usage_feedback.sql'), '-- migrate:up\nCREATE TABLE x (id INTEGER);\n-- migrate:down\nDROP TABLE x;\n');
    framework = createMigrationFramework({ database: join(dir, 'knowledge.db'), migrationsPath: migrations, backupPath: join(dir, 'backups') });
    const integrity = await framework.migrationService.validateMigrationIntegrity();
    expect(integrity.isValid).toBe(false);
    expect(integrity.problems.map((p) => p.version)).toContain(2);
  });

  it('ValidationService: the five calls', async () => {
    framework = await seededFramework(tempDir());
    const { validation, planner, migrationService } = framework;
    const pre = await validation.validatePreMigrationState();
    expect(pre).toMatchObject({ isValid: true, operation: 'pre-migration' });
    const plan = await planner.createComprehensiveMigrationPlan(3);
    const planReport = await validation.validateMigrationPlan(plan);
    expect(planReport.operation).toBe('plan');
    expect(planReport.isValid).toBe(true);
    await migrationService.executeMVPMigration(3);
    const post = await validation.validatePostMigration(9);
    expect(post).toMatchObject({ isValid: true, operation: 'post-migration' });
    const full = await validation.performComprehensiveValidation();
    expect(full.isValid).toBe(true);
    expect(full.milestone.current).toBe(3);
    expect(full.summary).toMatchObject({ criticalIssues: 0, migrationSafety: 'safe' });
    await migrationService.rollbackMVPMigration(2);
    const after = await validation.validateRollbackResult(5);
    expect(after).toMatchObject({ isValid: true, operation: 'rollback' });
  });

  it('RollbackManager: plan, capability, execute with preservation, emergency rollback', async () => {
    const dir = tempDir();
    framework = await seededFramework(dir, { config: { emergencyContacts: ['dba@example.com'] } });
    await framework.migrationService.executeMVPMigration(3);
    const manager = framework.rollbackManager;
    const capability = await manager.validateRollbackCapability(5);
    expect(capability).toMatchObject({ canRollback: true });
    const plan = await manager.createRollbackPlan(5);
    expect(plan).toMatchObject({ fromVersion: 9, targetVersion: 5 });
    expect(plan.steps.map((s) => s.version)).toEqual([9, 8, 7, 6]);
    const done = await manager.executeRollbackPlan(plan, { preserveUserData: true, validateRollback: true });
    expect(done).toMatchObject({ success: true, fromVersion: 9, toVersion: 5 });
    const archived = done.preserved.reduce((n, p) => n + p.rows, 0);
    expect(archived).toBeGreaterThan(0);
    expect((await manager.listArchives()).reduce((n, a) => n + a.rows, 0)).toBe(archived);

    await framework.migrationService.executeMVPMigration(3);
    const emergency = await manager.executeEmergencyRollback('performance');
    expect(emergency).toMatchObject({ type: 'performance', success: true, restoredToVersion: 5, emergencyContacts: ['dba@example.com'] });
    expect(emergency.actionsPerformed.length).toBeGreaterThan(0);
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT max(version) FROM mfmig_history')).toBe(5);
  });

  it('planner: a plan with risk, duration and downtime, and its resources', async () => {
    framework = await seededFramework(tempDir());
    const plan = await framework.planner.createComprehensiveMigrationPlan(4);
    expect(plan).toMatchObject({ currentMVP: 1, targetMVP: 4, currentVersion: 2, targetVersion: 13, direction: 'up' });
    expect(plan.steps.map((s) => s.version)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(['low', 'medium', 'high', 'critical']).toContain(plan.riskLevel);
    expect(plan.estimatedSeconds).toBeGreaterThan(0);
    expect(plan.estimatedDuration).toBeCloseTo(plan.estimatedSeconds / 60, 1);
    expect(typeof plan.requiresDowntime).toBe('boolean');
    const resources = await framework.planner.estimateResourceRequirements(plan);
    expect(resources.storage.additionalSpaceRequired).toBeGreaterThan(0);
    expect(resources.storage.backupSpaceRequired).toBeGreaterThan(0);
    expect(resources.memory.peakMemoryUsage).toBeGreaterThan(0);
    expect(resources.cpu.recommendedCores).toBeGreaterThanOrEqual(1);
  });

  it('a failing migration with enableRollback returns the database to the start version', async () => {
    const dir = tempDir();
    const migrations = copyMigrations(dir, [1, 2, 3]);
    writeFileSync(join(migrations, 'mvp3', '0010_broken.sql'), '-- migrate:up\nINSERT INTO no_such_table (id) VALUES (1);\n-- migrate:down\nSELECT 1;\n');
    framework = await seededFramework(dir, { migrationsPath: migrations });
    const schemaBefore = scalar(
      join(dir, 'knowledge.db'),
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE name NOT LIKE 'mfmig_%' AND name NOT LIKE 'sqlite_%' ORDER BY name)",
    );
    await expect(framework.migrationService.executeMVPMigration(3, { enableRollback: true })).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    expect(framework.migrationService.getCurrentProgress()?.status).toBe('rolled_back');
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT max(version) FROM mfmig_history')).toBe(2);
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT count(*) FROM kb_entries')).toBe(200);
    const schemaAfter = scalar(
      join(dir, 'knowledge.db'),
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE name NOT LIKE 'mfmig_%' AND name NOT LIKE 'sqlite_%' ORDER BY name)",
    );
    expect(schemaAfter).toBe(schemaBefore);
  });
});
