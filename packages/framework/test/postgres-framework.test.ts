// The framework's API on a PostgreSQL schema: a team that moves from a SQLite file to a server
// keeps its calls (executeMVPMigration, createComprehensiveMigrationPlan, createRollbackPlan,
// executeRollbackPlan, performComprehensiveValidation) and their result fields. Every test runs
// against the live server, in a scratch database of its own, with the real knowledge base.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, isMfmigError, loadMigrations, openPostgres } from '@mfmig/core';
import { MigrationUtils, type PostgresExecutionResult, createPostgresFramework, postgresParticipants, seedKnowledgeBaseOn } from '@mfmig/framework';
import { dropScratchDatabases, pgAppRows, scratchDatabase, snapshotTree, startPgKbWriter } from '@mfmig/test-support';
import { REAL_MIGRATIONS, tempDir } from './helpers.js';
import { codeOf, framework, rows, seed, sqlFolder } from './postgres-framework-helpers.js';

afterAll(dropScratchDatabases);

describe('createPostgresFramework', () => {
  it("runs the seed README's calls on PostgreSQL: plan, MVP1 to MVP5 with validation, rollback keeping rows, forward again", async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const fw = framework(url, 'kb', REAL_MIGRATIONS, dir);
    try {
      await fw.migrationService.executeMVPMigration(1);
      await seed(url, 'kb', 300);

      const path = await fw.migrationService.analyzeMVPUpgradePath(5);
      expect(path).toMatchObject({ currentMVP: 1, targetMVP: 5, direction: 'up' });
      expect(path.milestones.map((m) => m.mvp)).toEqual([2, 3, 4, 5]);

      const plan = await fw.planner.createComprehensiveMigrationPlan(5, { sampleRows: 100 });
      expect(plan).toMatchObject({ currentMVP: 1, targetMVP: 5 });
      expect(['low', 'medium', 'high', 'critical']).toContain(plan.riskLevel);
      expect(typeof plan.requiresDowntime).toBe('boolean');
      expect(plan.steps.length).toBe(path.totalMigrations);
      if (plan.estimatedDuration !== null) expect(plan.estimatedDuration).toBeGreaterThanOrEqual(0);
      expect(plan.rehearsal && 'failed' in plan.rehearsal ? plan.rehearsal.failed : null).toBeNull();

      const seen: string[] = [];
      fw.migrationService.on('migrationStepCompleted', (e) => seen.push(String(e.version)));
      const results = await fw.migrationService.executeMVPMigration(5, { createCheckpoints: true });
      expect(results).toMatchObject({ success: true, fromMVP: 1, toMVP: 5 });
      expect(seen.length).toBe(path.totalMigrations);
      expect(results.preValidation?.isValid).toBe(true);
      expect(results.postValidation?.isValid).toBe(true);
      expect(results.checkpoint?.backupId).toBeTruthy();
      expect((await rows(url, 'SELECT count(*)::int AS n FROM kb.incidents'))[0]!.n).toBe(300);
      expect((await fw.migrationService.status()).currentMvp).toBe(5);

      const health = await MigrationUtils.healthCheck(fw);
      expect([health.currentMvp, health.checks.database.status, health.checks.checksums.status, health.checks.drift.status]).toEqual([5, 'ok', 'ok', 'ok']);
      expect(health.checks.pendingMigrations.count).toBe(0);

      const report = await fw.validation.performComprehensiveValidation();
      expect(report.isValid).toBe(true);
      expect(report.summary.criticalIssues).toBe(0);

      const incidents = await rows(url, 'SELECT * FROM kb.incidents ORDER BY id');
      // the application writes KB entries and their feedback all through the rollback and the way forward again
      const app = await startPgKbWriter(url, 'kb');
      const rollbackPlan = await fw.rollbackManager.createRollbackPlan({ mvp: 2 });
      expect(rollbackPlan.blocked).toBeNull();
      const rolledBack = await fw.rollbackManager.executeRollbackPlan(rollbackPlan, { preserveUserData: true, validateRollback: true });
      expect(rolledBack.success).toBe(true);
      expect(rolledBack.toVersion).toBe(rollbackPlan.targetVersion);
      expect(rolledBack.validation?.isValid).toBe(true);
      expect((await fw.migrationService.status()).currentMvp).toBe(2);
      const archives = await fw.rollbackManager.listArchives();
      expect(archives.filter((a) => !a.restored).length).toBeGreaterThan(0);

      await fw.migrationService.executeMVPMigration(5);
      const written = await app.stop();
      expect(written.failures).toEqual([]);
      expect(written.written).toBeGreaterThan(0);
      expect(await pgAppRows(url, 'kb')).toEqual({ entries: written.written, feedback: written.written });
      expect(await rows(url, 'SELECT * FROM kb.incidents ORDER BY id')).toEqual(incidents);
      expect((await fw.rollbackManager.listArchives()).every((a) => a.restored)).toBe(true);
    } finally {
      await fw.close();
    }
  }, 240_000);

  it('keeps two schemas of one database apart: a rollback of one leaves the other and its archives alone', async () => {
    const url = await scratchDatabase();
    const a = framework(url, 'team_a');
    const b = framework(url, 'team_b');
    try {
      for (const fw of [a, b]) await fw.migrationService.executeMVPMigration(1, { validateIntegrity: false });
      await seed(url, 'team_a', 50);
      await seed(url, 'team_b', 70);
      for (const fw of [a, b]) await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });
      const bIncidents = await rows(url, 'SELECT * FROM team_b.incidents ORDER BY id');

      await a.migrationService.rollbackMVPMigration(1, { validateRollback: false });
      expect((await a.migrationService.status()).currentMvp).toBe(1);
      expect((await b.migrationService.status()).currentMvp).toBe(2);
      expect(await rows(url, 'SELECT * FROM team_b.incidents ORDER BY id')).toEqual(bIncidents);
      expect((await a.rollbackManager.listArchives()).length).toBeGreaterThan(0);
      expect(await b.rollbackManager.listArchives()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 240_000);

  it('takes a failed run back with enableRollback: the committed migrations are reverted and progress says rolled_back', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = sqlFolder(dir, {
      '0001_accounts.sql': { up: 'CREATE TABLE accounts (id integer PRIMARY KEY);', down: 'DROP TABLE accounts;' },
      '0002_orders.sql': { up: 'CREATE TABLE orders (id integer PRIMARY KEY);', down: 'DROP TABLE orders;' },
      '0003_broken.sql': {
        up: 'CREATE TABLE invoices (id integer PRIMARY KEY);\nALTER TABLE invoices ADD COLUMN total integer;\nINSERT INTO missing_table VALUES (1);',
        down: 'DROP TABLE invoices;',
      },
    });
    const fw = framework(url, 'app', folder, dir);
    try {
      let thrown: unknown;
      try {
        await fw.migrationService.migrateTo({ latest: true }, { enableRollback: true, validateIntegrity: false });
      } catch (error) {
        thrown = error;
      }
      expect(isMfmigError(thrown) && thrown.code).toBe('MIGRATION_FAILED');
      expect((thrown as { result?: { success: boolean } }).result?.success).toBe(false);
      expect(fw.migrationService.getCurrentProgress()?.status).toBe('rolled_back');
      expect((await fw.migrationService.status()).currentVersion).toBe(0);
      const tables = await rows(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' AND table_name NOT LIKE 'mfmig%'");
      expect(tables).toEqual([]);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('takes a run back when the validation after it finds a problem the run made (orphans behind a NOT VALID foreign key)', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = sqlFolder(dir, {
      '0001_accounts.sql': { up: 'CREATE TABLE accounts (id integer PRIMARY KEY);', down: 'DROP TABLE accounts;' },
      '0002_orders.sql': {
        up:
          'CREATE TABLE orders (id integer PRIMARY KEY, account_id integer);\nCREATE INDEX orders_account ON orders (account_id);\nINSERT INTO orders VALUES (1, 99);\n' +
          'ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;',
        down: 'DROP TABLE orders;',
      },
    });
    const fw = framework(url, 'app', folder, dir);
    try {
      let thrown: unknown;
      try {
        await fw.migrationService.migrateTo({ latest: true });
      } catch (error) {
        thrown = error;
      }
      expect(isMfmigError(thrown) && [thrown.code, thrown.context.stage]).toEqual(['VALIDATION_FAILED', 'post-migration']);
      const result = (thrown as { result?: PostgresExecutionResult }).result;
      expect(result?.postValidation?.errors.map((f) => f.code)).toContain('FOREIGN_KEY_ORPHANS');
      expect((await fw.migrationService.status()).currentVersion).toBe(0);
      expect(fw.migrationService.getCurrentProgress()?.status).toBe('rolled_back');
      expect(await rows(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' AND table_name NOT LIKE 'mfmig%'")).toEqual([]);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('refuses a stale rollback plan and changes nothing', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    try {
      await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });
      const plan = await fw.rollbackManager.createRollbackPlan({ mvp: 1 });
      await fw.migrationService.executeMVPMigration(3, { validateIntegrity: false });
      const before = await rows(url, 'SELECT version FROM kb.mfmig_history ORDER BY version');
      expect(await codeOf(() => fw.rollbackManager.executeRollbackPlan(plan))).toBe('ROLLBACK_FAILED');
      expect(await rows(url, 'SELECT version FROM kb.mfmig_history ORDER BY version')).toEqual(before);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it("runs the README's runner example: the PostgreSQL variants with postgresParticipants move the KB entries to incidents", async () => {
    const url = await scratchDatabase();
    const connection = await openPostgres(url, { schema: 'billing', createSchema: true });
    try {
      const migrations = await loadMigrations(REAL_MIGRATIONS, { dialect: 'postgres' });
      const migrator = new DialectMigrator({ connection, migrations, participants: postgresParticipants({ preserve: true }) });
      expect((await migrator.migrate({ mvp: 1 })).error).toBeUndefined();
      await seedKnowledgeBaseOn(connection, { rows: 40 });
      const result = await migrator.migrate({ mvp: 2 });
      expect(result.error).toBeUndefined();
      expect((await migrator.status()).currentMvp).toBe(2);
      expect((await rows(url, 'SELECT count(*)::int AS n FROM billing.incidents'))[0]!.n).toBe(40);
    } finally {
      await connection.close();
    }
  }, 120_000);

  it('refuses a URL that is not PostgreSQL, and a missing migrations folder, before it connects or writes', async () => {
    const dir = tempDir();
    const before = snapshotTree(dir);
    expect(await codeOf(() => createPostgresFramework({ database: join(dir, 'kb.db'), migrationsPath: REAL_MIGRATIONS }))).toBe('CONFIG_INVALID');
    const url = await scratchDatabase();
    expect(await codeOf(() => createPostgresFramework({ database: url, schema: 'kb', migrationsPath: join(dir, 'none') }))).toBe('MIGRATIONS_NOT_FOUND');
    expect(snapshotTree(dir)).toEqual(before);
    expect(await rows(url, "SELECT nspname FROM pg_namespace WHERE nspname = 'kb'")).toEqual([]);
    const closed = framework(url, 'kb');
    await closed.close();
    expect(await codeOf(() => closed.migrationService.status())).toBe('USAGE');
  });
});
