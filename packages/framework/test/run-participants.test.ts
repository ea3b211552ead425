import { join } from 'node:path';
import { type MockInstance, afterEach, describe, expect, it, vi } from 'vitest';
import { DialectMigrator, type MigrationContext, Migrator } from '@mfmig/core';
import { type MigrationFramework, createMigrationFramework } from '@mfmig/framework';
import { REAL_MIGRATIONS, scalar, seededFramework, tempDir } from './helpers.js';

/** Whether the call is a real run (a rollback plan dry-runs its downs on the live database). */
const real = (call: unknown[]) => (call[1] as { dryRun?: boolean } | undefined)?.dryRun !== true;

/** Whether a runner (a DialectMigrator or a Migrator) runs over `adapter`: the framework's own database, not a rehearsal's copy. */
const runsOn = (runner: unknown, adapter: unknown) =>
  runner instanceof Migrator ? runner.adapter === adapter : ((runner as DialectMigrator).connection as { adapter?: unknown }).adapter === adapter;

/** How many real runs `spy` (on a DialectMigrator method) saw over `adapter`. */
const dialectRunsOn = (spy: MockInstance, adapter: unknown) => spy.mock.calls.filter((call, i) => runsOn(spy.mock.contexts[i], adapter) && real(call)).length;

/** How many real runs `spy` (on a Migrator method) saw over `adapter`. */
const migratorRunsOn = dialectRunsOn;

const ORDER = ['mfmig-rollback-preservation', 'transformer', 'schema-history', 'framework-run-sequence', 'mfmig-rollback-backup'];

describe("createMigrationFramework's run participants", () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  it('are one ordered list, each once, kept across a restore that reopens the database', async () => {
    const dir = tempDir();
    framework = await seededFramework(dir);
    const names = () => framework!.context.plugins.map((p) => p.name);
    expect(names()).toEqual(ORDER);
    const backup = await framework.rollbackManager.createBackup();
    expect((await framework.migrationService.executeMVPMigration(2)).success).toBe(true);
    await framework.rollbackManager.restoreBackup(backup.id);
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT max(version) FROM mfmig_history')).toBe(2);
    expect(names()).toEqual(ORDER);
    // the reopened database runs through all of them: the run is validated and its snapshot stored
    const again = await framework.migrationService.executeMVPMigration(2);
    expect([again.success, again.toVersion]).toEqual([true, 5]);
    // each plugin's report, typed by the key its package declares (RunExtras): no cast
    expect([again.extras.backup?.verified, again.extras.postValidation?.isValid, again.extras.plan?.targetVersion]).toEqual([true, true, 5]);
    expect(again.extras.transformations?.map((t) => t.targetTable)).toContain('incidents');
    expect(scalar(join(dir, 'knowledge.db'), 'SELECT max(version) FROM mfmig_schema_snapshots')).toBe(5);
  });

  it('leave the pre-run backup out when asked', () => {
    const dir = tempDir();
    framework = createMigrationFramework(
      { database: join(dir, 'kb.db'), migrationsPath: REAL_MIGRATIONS, backupPath: join(dir, 'backups') },
      { backupBeforeRun: false },
    );
    expect(framework.context.plugins.map((p) => p.name)).toEqual(ORDER.slice(0, -1));
  });

  it('run migrateTo through DialectMigrator; a plugin a user adds to the context takes part in it, with its hooks', async () => {
    const dialect = vi.spyOn(DialectMigrator.prototype, 'migrate');
    const migrator = vi.spyOn(Migrator.prototype, 'migrate');
    try {
      const dir = tempDir();
      framework = await seededFramework(dir);
      // runs on the framework's own database (rehearsals and replays run Migrator on scratch copies)
      const live = framework.context.adapter;
      const runs = () => [dialectRunsOn(dialect, live), migratorRunsOn(migrator, live)];
      expect(runs()).toEqual([1, 0]);
      const seen: string[] = [];
      framework.context.plugins.push({
        name: 'audit',
        beforeRun: (run) => void seen.push(`run ${run.direction} to ${run.targetVersion}`),
        beforeMigration: (ctx: MigrationContext) => void seen.push(`before ${ctx.migration.version}`),
        afterMigration: (ctx: MigrationContext) => void seen.push(`after ${ctx.migration.version}`),
        afterRun: (_run, result) => void seen.push(`done ${result.toVersion}`),
      });
      const up = await framework.migrationService.executeMVPMigration(2);
      expect([up.success, up.toVersion]).toEqual([true, 5]);
      expect(runs()).toEqual([2, 0]);
      expect(seen).toEqual(['run up to 5', 'before 3', 'after 3', 'before 4', 'after 4', 'before 5', 'after 5', 'done 5']);
      // the user's plugin did not take the framework's out of the run
      expect([up.extras.backup?.verified, up.extras.postValidation?.isValid]).toEqual([true, true]);
      expect(up.extras.transformations?.map((t) => t.targetTable)).toContain('incidents');
    } finally {
      dialect.mockRestore();
      migrator.mockRestore();
    }
  });

  it('report what a migrateTo run put back from the archives in extras.restored, as the plugin does', async () => {
    const dir = tempDir();
    framework = await seededFramework(dir);
    expect((await framework.migrationService.executeMVPMigration(5)).success).toBe(true);
    const db = join(dir, 'knowledge.db');
    const incidents = scalar(db, 'SELECT count(*) FROM incidents');
    expect(incidents).toBe(200);
    await framework.migrationService.rollbackMVPMigration(1);
    const up = await framework.migrationService.executeMVPMigration(5);
    expect(up.success).toBe(true);
    expect(up.extras.restored?.length).toBeGreaterThan(0);
    expect(up.extras.restored?.find((r) => r.table === 'incidents')).toMatchObject({ version: 5, kind: 'rows', rows: 200 });
    expect(scalar(db, 'SELECT count(*) FROM incidents')).toBe(incidents);
  });

  it("run a rollback's stages through DialectMigrator too, keeping every row; a user's plugin takes part in them", async () => {
    const dialect = vi.spyOn(DialectMigrator.prototype, 'rollback');
    const migrator = vi.spyOn(Migrator.prototype, 'rollback');
    try {
      const dir = tempDir();
      framework = await seededFramework(dir);
      const live = framework.context.adapter;
      // real downs on the framework's own database
      const downs = () => [dialectRunsOn(dialect, live), migratorRunsOn(migrator, live)];
      expect((await framework.migrationService.executeMVPMigration(3)).success).toBe(true);
      const db = join(dir, 'knowledge.db');
      const links = scalar(db, 'SELECT count(*) FROM kb_code_links');
      const down = await framework.migrationService.rollbackMVPMigration(2);
      expect(down).toMatchObject({ success: true, toVersion: 5 });
      expect(downs()).toEqual([1, 0]);
      expect(down.preserved.find((p) => p.table === 'kb_code_links')?.rows).toBe(links);
      const seen: number[] = [];
      framework.context.plugins.push({ name: 'audit', beforeMigration: (ctx: MigrationContext) => void seen.push(ctx.migration.version) });
      expect((await framework.migrationService.executeMVPMigration(3)).success).toBe(true);
      expect(scalar(db, 'SELECT count(*) FROM kb_code_links')).toBe(links);
      expect(seen).toEqual([6, 7, 8, 9]);
      expect((await framework.migrationService.rollbackMVPMigration(2)).success).toBe(true);
      expect(downs()).toEqual([2, 0]);
      // each down's hook, in the down and in the preservation's probe of it, newest first
      expect([...new Set(seen.slice(4))]).toEqual([9, 8, 7, 6]);
    } finally {
      dialect.mockRestore();
      migrator.mockRestore();
    }
  });

  it("dry-run a rollback plan's downs through DialectMigrator: every down measured, the rows the rollback then archives, nothing changed", async () => {
    const dialect = vi.spyOn(DialectMigrator.prototype, 'rollback');
    const migrator = vi.spyOn(Migrator.prototype, 'rollback');
    try {
      const dir = tempDir();
      framework = await seededFramework(dir);
      const live = framework.context.adapter;
      expect((await framework.migrationService.executeMVPMigration(5)).success).toBe(true);
      const db = join(dir, 'knowledge.db');
      const state = () => [scalar(db, 'SELECT max(version) FROM mfmig_history'), scalar(db, 'SELECT count(*) FROM idz_project_members')];
      const before = state();
      const plan = await framework.rollbackManager.createRollbackPlan({ mvp: 2 });
      const dryRuns = (spy: MockInstance) => spy.mock.calls.filter((call, i) => runsOn(spy.mock.contexts[i], live) && !real(call)).length;
      expect([dryRuns(dialect), dryRuns(migrator)]).toEqual([1, 0]);
      expect(state()).toEqual(before);
      // every down is measured, 0013's too: its DELETE cascades, where a dry run in one transaction ran it with
      // foreign keys off (0009's rebuild asks for them off, and the switch is a no-op inside a transaction)
      expect(plan.steps.filter((s) => s.analysis !== 'probe')).toEqual([]);
      expect(plan.warnings).toEqual([]);
      // rows per table (an empty table dropped is in the plan, and nothing of it is archived)
      const rows = (entries: { table: string; rows: number }[]) => {
        const kept = entries.filter((e) => e.rows > 0);
        return Object.fromEntries(
          [...new Set(kept.map((e) => e.table))].sort().map((t) => [t, kept.filter((e) => e.table === t).reduce((n, e) => n + e.rows, 0)]),
        );
      };
      const atRisk = rows(plan.dataAtRisk);
      expect(atRisk.idz_project_members).toBe(before[1]);
      const done = await framework.rollbackManager.executeRollbackPlan(plan);
      expect(done.success).toBe(true);
      expect(rows(done.preserved)).toEqual(atRisk);
    } finally {
      dialect.mockRestore();
      migrator.mockRestore();
    }
  });

  it("resume a checkpoint and revert the last run in an emergency through DialectMigrator, on the framework's own database", async () => {
    const up = vi.spyOn(DialectMigrator.prototype, 'migrate');
    const down = vi.spyOn(DialectMigrator.prototype, 'rollback');
    try {
      const dir = tempDir();
      framework = await seededFramework(dir);
      const live = () => framework!.context.adapter;
      const on = (spy: MockInstance) => dialectRunsOn(spy, live());
      const checkpoint = await framework.migrationService.createCheckpoint('to-latest');
      const ups = on(up);
      const resumed = await framework.migrationService.resumeFromCheckpoint(checkpoint.folder);
      expect([resumed.error, resumed.toVersion]).toEqual([undefined, 17]);
      expect(on(up)).toBe(ups + 1);
      const db = join(dir, 'knowledge.db');
      const incidents = scalar(db, 'SELECT count(*) FROM incidents');
      expect(incidents).toBe(200);
      const emergency = await framework.rollbackManager.executeEmergencyRollback('failed-migration');
      expect([emergency.success, emergency.restoredToVersion]).toEqual([true, 2]);
      expect(on(down)).toBe(1);
      expect(scalar(db, 'SELECT max(version) FROM mfmig_history')).toBe(2);
      // what the downs dropped was archived: a later migrate puts every incident back
      expect((await framework.migrationService.executeMVPMigration(5)).success).toBe(true);
      expect(scalar(db, 'SELECT count(*) FROM incidents')).toBe(incidents);
    } finally {
      up.mockRestore();
      down.mockRestore();
    }
  });
});
