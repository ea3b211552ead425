// The PostgreSQL framework's operations around runs: a schema another tool migrated, backups
// and emergency rollback, checkpoints and their resume, and what a plan needs in disk, memory and
// CPU. Every test runs against the live server, in a scratch database of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { NOTES_MIGRATIONS, dropScratchDatabases, postgresToolHistorySql, scratchDatabase, withClient } from '@mfmig/test-support';
import { tempDir } from './helpers.js';
import { codeOf, framework, notesFolder, rows, seed } from './postgres-framework-helpers.js';

afterAll(dropScratchDatabases);

describe('createPostgresFramework: adoption, backups, checkpoints and resources', () => {
  it('adopts a schema Flyway migrated: the plan and the run start where Flyway left it, and the application rows stay', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = notesFolder(dir);
    const applied = NOTES_MIGRATIONS.slice(0, 2);
    await withClient(url, async (c) => {
      await c.query(
        ['CREATE SCHEMA notes_app; SET search_path TO notes_app;', ...applied.map((m) => m.up), postgresToolHistorySql('flyway', applied)].join('\n'),
      );
      await c.query("INSERT INTO notes_app.notes VALUES (1, 'groceries'), (2, 'ideas'); INSERT INTO notes_app.tags VALUES (1, 1, 'home')");
    });
    const fw = framework(url, 'notes_app', folder, dir);
    try {
      const preview = await fw.migrationService.analyzeToolAdoption();
      expect(preview?.tool).toBe('flyway');
      expect(preview?.recorded).toBe(false);
      expect(await rows(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'notes_app' AND table_name LIKE 'mfmig%'")).toEqual([]);

      const plan = await fw.planner.createPlan({ latest: true }, { rehearse: false });
      expect(plan.adoption?.tool).toBe('flyway');
      expect(plan.steps.map((s) => s.version)).toEqual([Number(NOTES_MIGRATIONS[2].version)]);

      const result = await fw.migrationService.migrateTo({ latest: true });
      expect(result.migrations.map((m) => m.version)).toEqual([Number(NOTES_MIGRATIONS[2].version)]);
      expect(result.extras.adoption?.tool).toBe('flyway');
      expect((await fw.migrationService.status()).applied.length).toBe(3);
      expect(await rows(url, 'SELECT id, title, pinned FROM notes_app.notes ORDER BY id')).toEqual([
        { id: 1, title: 'groceries', pinned: 0 },
        { id: 2, title: 'ideas', pinned: 0 },
      ]);
      expect((await rows(url, 'SELECT count(*)::int AS n FROM notes_app.flyway_schema_history'))[0]!.n).toBe(2);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('refuses to run over a schema made before mfmig, then adopts it by baseline and runs only what it lacks', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = notesFolder(dir);
    await withClient(url, (c) =>
      c.query(
        ['CREATE SCHEMA legacy; SET search_path TO legacy;', ...NOTES_MIGRATIONS.slice(0, 2).map((m) => m.up), "INSERT INTO notes VALUES (1, 'kept')"].join(
          '\n',
        ),
      ),
    );
    const fw = framework(url, 'legacy', folder, dir);
    try {
      expect(await codeOf(() => fw.migrationService.migrateTo({ latest: true }))).toBe('ADOPTION_REQUIRED');
      const mfmigTables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'legacy' AND table_name LIKE 'mfmig%'";
      expect(await rows(url, mfmigTables)).toEqual([]);

      const preview = await fw.migrationService.analyzeBaseline();
      expect([preview.version, preview.matched, preview.dryRun]).toEqual([Number(NOTES_MIGRATIONS[1].version), 'exact', true]);
      expect(await rows(url, mfmigTables)).toEqual([]);

      await fw.migrationService.baseline();
      const result = await fw.migrationService.migrateTo({ latest: true });
      expect(result.migrations.map((m) => m.version)).toEqual([Number(NOTES_MIGRATIONS[2].version)]);
      expect(await rows(url, 'SELECT id, title, pinned FROM legacy.notes')).toEqual([{ id: 1, title: 'kept', pinned: 0 }]);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('restores the newest verified backup in an emergency for data loss, and refuses a corruption rollback of a sound schema', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    try {
      await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });
      await seed(url, 'kb', 120);
      const entries = await rows(url, 'SELECT * FROM kb.kb_entries ORDER BY id');
      const backup = await fw.rollbackManager.createBackup({ label: 'before the cleanup' });
      expect(backup.verified).toBeTruthy();
      expect((await fw.rollbackManager.listBackups()).map((b) => b.id)).toContain(backup.id);

      const history = await rows(url, 'SELECT version FROM kb.mfmig_history ORDER BY version');
      expect(await codeOf(() => fw.rollbackManager.executeEmergencyRollback('corruption'))).toBe('RISK_NOT_ACCEPTED');
      expect(await rows(url, 'SELECT * FROM kb.kb_entries ORDER BY id')).toEqual(entries);

      await withClient(url, (c) => c.query('DELETE FROM kb.kb_feedback; DELETE FROM kb.incidents; DELETE FROM kb.kb_entries WHERE id > 20'));
      const result = await fw.rollbackManager.executeEmergencyRollback('data-loss');
      expect(result.success).toBe(true);
      expect(result.restoredToVersion).toBe(Math.max(...history.map((h) => Number(h.version))));
      expect(await rows(url, 'SELECT * FROM kb.kb_entries ORDER BY id')).toEqual(entries);
      expect(await rows(url, 'SELECT version FROM kb.mfmig_history ORDER BY version')).toEqual(history);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it('takes a checkpoint to MVP3 and resumes its run from where a partial run stopped; an unknown checkpoint changes nothing', async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    try {
      await fw.migrationService.executeMVPMigration(1, { validateIntegrity: false });
      await seed(url, 'kb', 60);
      const checkpoint = await fw.migrationService.createCheckpoint('release-3', { mvp: 3 });
      expect((await fw.rollbackManager.listCheckpoints()).map((c) => c.id)).toEqual([checkpoint.id]);
      await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });

      const history = await rows(url, 'SELECT version FROM kb.mfmig_history ORDER BY version');
      expect(await codeOf(() => fw.migrationService.resumeFromCheckpoint('no-such-checkpoint'))).toBe('CHECKPOINT_INVALID');
      expect(await rows(url, 'SELECT version FROM kb.mfmig_history ORDER BY version')).toEqual(history);

      const resumed = await fw.migrationService.resumeFromCheckpoint(checkpoint.id);
      expect(resumed.restored).toBe(false);
      expect(resumed.run.toVersion).toBe(checkpoint.position.targetVersion);
      expect((await fw.migrationService.status()).currentMvp).toBe(3);
      expect((await rows(url, 'SELECT count(*)::int AS n FROM kb.incidents'))[0]!.n).toBe(60);
    } finally {
      await fw.close();
    }
  }, 120_000);

  it("estimates the plan's disk from its rehearsal, near what the run then adds, and the backup as an upper bound of the pg_dump", async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    const schemaBytes = async () =>
      Number(
        (
          await rows(
            url,
            "SELECT sum(pg_total_relation_size(c.oid))::bigint AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'kb' AND c.relkind IN ('r', 'm') AND c.relname NOT LIKE 'mfmig%'",
          )
        )[0]!.b,
      );
    try {
      await fw.migrationService.executeMVPMigration(1, { validateIntegrity: false });
      await seed(url, 'kb', 3000);
      await withClient(url, (c) => c.query('ANALYZE kb.kb_entries, kb.kb_tags, kb.kb_feedback'));
      const plan = await fw.planner.createComprehensiveMigrationPlan(2, { sampleRows: 600 });
      const resources = await fw.planner.estimateResourceRequirements(plan);
      expect(resources.storage.growthSource).toBe('rehearsal');
      expect(resources.errors).toEqual([]);
      expect(resources.memory.peakMemoryUsage).toBeGreaterThan(0);
      expect(resources.cpu.recommendedCores).toBeGreaterThanOrEqual(1);

      const modelOnly = await fw.planner.estimateResourceRequirements(await fw.planner.createComprehensiveMigrationPlan(2, { rehearse: false }));
      expect(modelOnly.storage.growthSource).toBe('model');
      expect(modelOnly.notes.join(' ')).toContain('0005');

      const before = await schemaBytes();
      await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });
      const grown = (await schemaBytes()) - before;
      const ratio = resources.storage.additionalSpaceRequired / grown;
      expect(ratio).toBeGreaterThan(0.6);
      expect(ratio).toBeLessThan(1.8);

      const backup = await fw.rollbackManager.createBackup();
      const bound = (await fw.planner.estimateResourceRequirements(await fw.planner.createComprehensiveMigrationPlan(2, { rehearse: false }))).storage
        .backupSpaceRequired;
      expect(backup.sizeBytes).toBeLessThanOrEqual(bound);
    } finally {
      await fw.close();
    }
  }, 180_000);
});
