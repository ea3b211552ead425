/* eslint-disable @typescript-eslint/no-unused-vars */
import { closeSync, cpSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMigrationFramework, MigrationUtils } from '@mfmig/framework';
import { seedKnowledgeBaseOn } from '@mfmig/framework'; // test setup only
import { REAL_MIGRATIONS, scalar, tempDir } from './helpers.js';

/**
 * The seed README's snippets, copied as printed (only the import path differs: the package name
 * instead of the app's `./src/services/storage/migration`), run in order against a temp database
 * in a folder laid out like the README's app, with the real migrations in its migrations path.
 */
describe('the seed README, as printed', () => {
  const cwd = process.cwd();
  let logged: string[];
  beforeEach(() => {
    logged = [];
    vi.spyOn(console, 'log').mockImplementation(
      (...args: unknown[]) => void logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')),
    );
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(`ERROR ${args.join(' ')}`));
    const dir = tempDir();
    mkdirSync(join(dir, 'src/database/migrations'), { recursive: true });
    cpSync(REAL_MIGRATIONS, join(dir, 'src/database/migrations/mvp-upgrades'), { recursive: true });
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    vi.restoreAllMocks();
  });

  it('runs quick start, MVP migration, rollback, validation, planning, resources, error handling and monitoring', async () => {
    // ### Basic Setup
    // Initialize database
    const db = new Database('./knowledge.db');

    // Create migration framework
    const framework = createMigrationFramework({
      database: db,
      migrationsPath: './src/database/migrations/mvp-upgrades',
      enableLogging: true,
      enableMetrics: true,
    });

    // Health check
    const health = await MigrationUtils.healthCheck(framework);
    console.log('Framework Health:', health);
    expect(health.checks.database.status).toBe('ok');
    expect(health.checks.pendingMigrations.count).toBe(17);

    // (test setup, not in the README: an MVP1 knowledge base with data)
    await framework.migrationService.executeMVPMigration(1);
    await seedKnowledgeBaseOn(framework.context.connection, { rows: 120 });

    // ### MVP Migration
    // Analyze upgrade path
    const upgradePath = await framework.migrationService.analyzeMVPUpgradePath(3);
    console.log('Upgrade Analysis:', upgradePath);

    // Execute migration to MVP3
    const results = await framework.migrationService.executeMVPMigration(3, {
      dryRun: false,
      validateIntegrity: true,
      createCheckpoints: true,
      enableRollback: true,
    });

    console.log('Migration Results:', results);
    expect(upgradePath.totalMigrations).toBe(7);
    expect(results).toMatchObject({ success: true, toMVP: 3, toVersion: 9 });
    expect(scalar('./knowledge.db', 'SELECT count(*) FROM incidents')).toBe(120);

    // ### Rollback Example (the README's literal version 20 does not exist in the real set of 17 migrations)
    await expect(framework.rollbackManager.createRollbackPlan(20)).rejects.toMatchObject({ code: 'TARGET_UNKNOWN' });
    {
      // Create rollback plan
      const rollbackPlan = await framework.rollbackManager.createRollbackPlan(5);

      // Execute rollback
      const rollbackResults = await framework.rollbackManager.executeRollbackPlan(rollbackPlan, {
        preserveUserData: true,
        validateRollback: true,
      });

      console.log('Rollback Results:', rollbackResults);
      expect(rollbackResults).toMatchObject({ success: true, fromVersion: 9, toVersion: 5 });
    }

    // ### Comprehensive Validation
    const validationReport = await framework.validation.performComprehensiveValidation();

    console.log('Overall Health:', validationReport.summary.overallHealth);
    console.log('Critical Issues:', validationReport.summary.criticalIssues);
    console.log('Migration Safety:', validationReport.summary.migrationSafety);
    expect(logged).toContain('Critical Issues: 0');
    expect(logged).toContain('Migration Safety: safe');

    // (Emergency Procedures: the database is sound, so a corruption rollback is refused, throwing
    // with what it checked, and nothing changes; the snippet itself runs on a damaged file below)
    const refused = await framework.rollbackManager.executeEmergencyRollback('corruption').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'RISK_NOT_ACCEPTED', result: { success: false, backupUsed: null, restoredToVersion: 5 } });
    expect(scalar('./knowledge.db', 'SELECT max(version) FROM mfmig_history')).toBe(5);

    // ### Creating Migration Plans
    const plan = await framework.planner.createComprehensiveMigrationPlan(4);

    console.log('Migration Plan:');
    console.log('- Current MVP:', plan.currentMVP);
    console.log('- Target MVP:', plan.targetMVP);
    console.log('- Risk Level:', plan.riskLevel);
    console.log('- Estimated Duration:', plan.estimatedDuration, 'minutes');
    console.log('- Downtime Required:', plan.requiresDowntime);
    expect(logged).toContain('- Current MVP: 2');
    expect(logged).toContain('- Target MVP: 4');

    // ### Resource Estimation
    const resources = await framework.planner.estimateResourceRequirements(plan);

    console.log('Resource Requirements:');
    console.log('- Additional Storage:', resources.storage.additionalSpaceRequired, 'bytes');
    console.log('- Backup Space:', resources.storage.backupSpaceRequired, 'bytes');
    console.log('- Peak Memory:', resources.memory.peakMemoryUsage, 'bytes');
    console.log('- Recommended Cores:', resources.cpu.recommendedCores);
    expect(logged.find((l) => l.startsWith('- Backup Space:'))).toMatch(/^- Backup Space: [1-9]\d* bytes$/);
    expect(logged.find((l) => l.startsWith('- Recommended Cores:'))).toMatch(/^- Recommended Cores: [1-9]/);

    // ### Validation Errors
    const validation = await framework.validation.validatePreMigrationState();

    if (!validation.isValid) {
      console.log('Validation Errors:');
      validation.errors.forEach((error) => {
        console.log(`- ${error.severity}: ${error.message}`);
        console.log(`  Suggestion: ${error.suggestion}`);
      });
    }
    expect(validation.isValid).toBe(true);

    // ### Progress Monitoring
    // Listen for migration events
    framework.migrationService.on('migrationStepCompleted', (data) => {
      console.log(`Step ${data.step} completed in ${data.duration}ms`);
    });

    framework.migrationService.on('progressUpdated', (progress) => {
      const percent = (progress.currentStep / progress.totalSteps) * 100;
      console.log(`Migration ${percent.toFixed(1)}% complete`);
    });

    // ### Migration Errors (no error here: MVP3 is reached again, with the listeners above reporting)
    try {
      const results = await framework.migrationService.executeMVPMigration(3);
    } catch (error) {
      // @ts-expect-error the README reads .message from the untyped catch variable
      console.error('Migration failed:', error.message);

      // Check if rollback was performed
      const progress = framework.migrationService.getCurrentProgress();
      if (progress?.status === 'rolled_back') {
        console.log('System was safely rolled back');
      } else {
        // Manual intervention may be required
        console.log('Manual recovery may be needed');
      }
    }
    expect(logged.filter((l) => /^Step \d completed in \d+(\.\d+)?ms$/.test(l))).toHaveLength(4);
    expect(logged).toContain('Migration 100.0% complete');
    expect(logged.some((l) => l.startsWith('ERROR'))).toBe(false);

    // ### Performance Metrics
    const progress = framework.migrationService.getCurrentProgress();

    if (progress) {
      console.log('Migration Progress:');
      console.log('- Status:', progress.status);
      console.log('- Steps:', `${progress.currentStep}/${progress.totalSteps}`);
      console.log('- Elapsed Time:', progress.elapsedTime, 'ms');
      console.log('- Estimated Completion:', progress.estimatedCompletion);
      console.log('- Memory Usage:', progress.performance.memoryUsage, 'bytes');
    }
    expect(logged).toContain('- Status: completed');
    expect(logged).toContain('- Steps: 4/4');
    expect(scalar('./knowledge.db', 'SELECT count(*) FROM mfmig_metrics')).toBeGreaterThan(0);

    // ### Debug Mode
    {
      // Enable detailed logging
      const framework = createMigrationFramework({
        database: db,
        enableLogging: true,
      });

      // Add debug listeners
      framework.migrationService.on('*', (event, data) => {
        console.log(`DEBUG: ${event}`, data);
      });
      expect(existsSync('./migrations')).toBe(false);
      await expect(framework.migrationService.status()).rejects.toMatchObject({ code: 'MIGRATIONS_NOT_FOUND' });
    }
    framework.close();
    db.close();
  });

  it('the emergency snippet restores a database whose pages were overwritten', async () => {
    const setup = new Database('./knowledge.db');
    const migrated = createMigrationFramework({ database: setup, migrationsPath: './src/database/migrations/mvp-upgrades' });
    await migrated.migrationService.executeMVPMigration(1);
    await seedKnowledgeBaseOn(migrated.context.connection, { rows: 400 });
    await migrated.migrationService.executeMVPMigration(2);
    const incidents = scalar('./knowledge.db', 'SELECT count(*) FROM incidents');
    migrated.close();
    setup.close();
    // a failing disk: four pages in the middle of the file overwritten
    const fd = openSync('./knowledge.db', 'r+');
    writeSync(fd, Buffer.alloc(4096 * 4, 0xa5), 0, 4096 * 4, 4096 * 3);
    closeSync(fd);
    const db = new Database('./knowledge.db');
    const framework = createMigrationFramework({ database: db, migrationsPath: './src/database/migrations/mvp-upgrades' });

    // ### Emergency Procedures
    // Emergency rollback for data corruption
    const emergencyResult = await framework.rollbackManager.executeEmergencyRollback('corruption');

    console.log('Emergency Actions:', emergencyResult.actionsPerformed);
    console.log('Restored to Version:', emergencyResult.restoredToVersion);
    console.log('Emergency Contacts:', emergencyResult.emergencyContacts);
    // the newest backup is the one taken before the MVP2 run (version 2): every seeded entry, no incidents yet
    expect(emergencyResult).toMatchObject({ success: true, restoredToVersion: 2 });
    framework.close();
    db.close();
    expect(scalar('./knowledge.db', 'PRAGMA integrity_check')).toBe('ok');
    expect(scalar('./knowledge.db', 'SELECT count(*) FROM kb_entries')).toBe(incidents);
    expect(scalar('./knowledge.db', "SELECT count(*) FROM sqlite_schema WHERE name = 'incidents'")).toBe(0);
  });

  it('the error-handling snippet reports a failed migration and where it left the database', async () => {
    cpSync(join(REAL_MIGRATIONS, 'mvp1'), './broken/mvp1', { recursive: true });
    cpSync(join(REAL_MIGRATIONS, 'mvp2'), './broken/mvp2', { recursive: true });
    mkdirSync('./broken/mvp3');
    writeFileSync('./broken/mvp3/0006_broken.sql', '-- migrate:up\nINSERT INTO no_such_table VALUES (1);\n-- migrate:down\nSELECT 1;\n');
    const db = new Database('./knowledge.db');
    const framework = createMigrationFramework({ database: db, migrationsPath: './broken' });

    try {
      const results = await framework.migrationService.executeMVPMigration(3);
    } catch (error) {
      // @ts-expect-error the README reads .message from the untyped catch variable
      console.error('Migration failed:', error.message);

      // Check if rollback was performed
      const progress = framework.migrationService.getCurrentProgress();
      if (progress?.status === 'rolled_back') {
        console.log('System was safely rolled back');
      } else {
        // Manual intervention may be required
        console.log('Manual recovery may be needed');
      }
    }
    expect(logged[0]).toMatch(/^ERROR Migration failed: .*0006_broken.*no_such_table/);
    expect(logged).toContain('Manual recovery may be needed');
    expect(scalar('./knowledge.db', 'SELECT max(version) FROM mfmig_history')).toBe(5);

    framework.close();
    db.close();
  });
});
