import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Migrator, createServiceContext, loadMigrations } from '@mfmig/core';
import { MigrationPlanner, renderPlan } from '@mfmig/planner';
import { SchemaEvolution } from '@mfmig/schema-evolution';
import { createTransformerPlugin } from '@mfmig/transformer';
import { REAL_MIGRATIONS, TEST_CALIBRATION, open, seededMvp1, tempDir } from './helpers.js';

let database: string;

beforeAll(async () => {
  database = await seededMvp1(1500, REAL_MIGRATIONS);
});

/** A copy of the seeded MVP1 database, in a new temp folder. */
async function copyOfDatabase(name: string): Promise<string> {
  const file = join(tempDir(), name);
  const source = open(database);
  await source.backup(file);
  source.close();
  return file;
}

/** The context a framework gives the planner: transformer plugin, schema history, table rebuilder. */
function frameworkContext(file: string, extra: { enableMetrics?: boolean } = {}) {
  const context = createServiceContext({ database: file, migrationsPath: REAL_MIGRATIONS, backupPath: tempDir(), ...extra });
  context.plugins.push(createTransformerPlugin());
  new SchemaEvolution(context);
  return context;
}

describe('MigrationPlanner on the real MVP1 -> MVP5 migrations', () => {
  it('plans up with operations, rules, durations from a rehearsal, and totals', async () => {
    const context = frameworkContext(database);
    const planner = new MigrationPlanner(context, { calibration: TEST_CALIBRATION });
    const plan = await planner.createComprehensiveMigrationPlan(5);
    expect(plan).toMatchObject({ currentMVP: 1, targetMVP: 5, currentVersion: 2, targetVersion: 17, direction: 'up' });
    expect(plan.steps.map((s) => s.version)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(plan.estimation.method).toBe('rehearsal');
    expect(plan.steps.every((s) => s.estimateSource === 'rehearsal' && s.estimatedSeconds > 0)).toBe(true);
    expect(plan.estimatedSeconds).toBeCloseTo(
      plan.steps.reduce((sum, s) => sum + s.estimatedSeconds, 0),
      6,
    );
    expect(plan.estimatedDuration).toBeCloseTo(plan.estimatedSeconds / 60, 2);
    const mapping = plan.steps.find((s) => s.name === 'map_kb_entries_to_incidents')!;
    expect(mapping.operations.map((o) => [o.kind, o.source, o.table, o.rows])).toEqual([
      ['transformation', 'kb_entries', 'incidents', 1500],
      ['transformation', 'incidents', 'incidents', 1500],
    ]);
    expect(mapping.operations[0]!.rowsWritten).toBe(1500);
    const rebuild = plan.steps.find((s) => s.name === 'extend_kb_categories')!;
    expect(rebuild.operations.find((o) => o.kind === 'table-rebuild')).toMatchObject({ table: 'kb_entries', rows: 1500 });
    expect(rebuild.rules.map((r) => r.rule)).toContain('table-rebuild');
    expect(['low', 'medium', 'high', 'critical']).toContain(plan.riskLevel);
    expect(open(database).prepare('SELECT max(version) FROM mfmig_history').pluck().get()).toBe(2);
    expect(
      renderPlan(plan)
        .split('\n')
        .filter((l) => /^\s+\d+\s/.test(l)),
    ).toHaveLength(15);
    context.close();
  });

  it('plans down: the declared reverses take derived rows out, dropping tables that hold user rows is the risk', async () => {
    const file = await seededMvp1(800, REAL_MIGRATIONS);
    const context = frameworkContext(file);
    expect((await (await context.migrator()).migrate({ mvp: 3 })).error).toBeUndefined();
    const insert = context.adapter.raw.prepare("INSERT INTO incidents (ticket_id, timestamp, title) VALUES (?, '2024-05-01T00:00:00Z', 'Batch abend')");
    for (let i = 1; i <= 5; i++) insert.run(`INC-${i}`);
    const planner = new MigrationPlanner(context, { calibration: TEST_CALIBRATION });
    const plan = await planner.createComprehensiveMigrationPlan(1);
    expect(plan).toMatchObject({ currentMVP: 3, targetMVP: 1, direction: 'down', targetVersion: 2 });
    expect(plan.steps.map((s) => s.version)).toEqual([9, 8, 7, 6, 5, 4, 3]);
    const dropIncidents = plan.steps.find((s) => s.version === 3)!;
    expect(dropIncidents.rules.find((r) => r.rule === 'drop-table' && r.explanation.includes('table incidents with 5 rows'))?.severity).toBe('high');
    const reverse = plan.steps.find((s) => s.version === 5)!;
    expect(reverse.operations.map((o) => [o.kind, o.statement, o.rows])).toEqual([
      ['transformation', 'link_incidents_to_kb', 805],
      ['transformation', 'kb_to_incident_mapping', 805],
    ]);
    expect(plan.riskLevel).toBe('high');
    const none = await planner.createComprehensiveMigrationPlan(3);
    expect(none).toMatchObject({ direction: 'none', steps: [], estimatedSeconds: 0, requiresDowntime: false, riskLevel: 'low' });
    context.close();
  });

  it('says when writers would wait longer than the threshold', async () => {
    const planner = new MigrationPlanner(frameworkContext(database), { calibration: TEST_CALIBRATION, rehearsal: false, downtimeThresholdSeconds: 0 });
    const plan = await planner.createComprehensiveMigrationPlan(2);
    expect(plan.estimation.method).toBe('model');
    expect(plan.requiresDowntime).toBe(true);
    // every step, and the backup copy, which stops commits in this rollback-journal database
    expect(plan.writers?.journalMode).toBe('delete');
    expect(plan.downtimeReasons).toHaveLength(plan.steps.length + 1);
    const relaxed = await new MigrationPlanner(planner.context, {
      calibration: TEST_CALIBRATION,
      rehearsal: false,
      downtimeThresholdSeconds: 3600,
    }).createComprehensiveMigrationPlan(2);
    expect(relaxed.requiresDowntime).toBe(false);
  });

  it('counts a one-batch INSERT ... SELECT as blocking writes only while its rows go in (and, with a rollback journal, one batch of its copies)', async () => {
    const wal = await copyOfDatabase('wal.db');
    const walDb = open(wal);
    walDb.pragma('journal_mode = WAL');
    walDb.close();
    // a threshold under the 1,500 KB entries: 0017's window aggregate runs after its migration's transaction
    const rulesOp = async (file: string) => {
      const planner = new MigrationPlanner(frameworkContext(file), { calibration: TEST_CALIBRATION, batchThreshold: 1000 });
      const plan = await planner.createComprehensiveMigrationPlan(5);
      planner.context.close();
      return plan.steps.find((s) => s.version === 17)!.operations.find((o) => o.statement === 'rules_from_successful_kb_entries')!;
    };
    const inWal = await rulesOp(wal);
    const inDelete = await rulesOp(database);
    expect(inWal.blocksWrites).toBe(false);
    expect(inWal.rowsWritten).toBeLessThan(inWal.rows / 10);
    expect(inWal.longestBatchSeconds!).toBeCloseTo((inWal.estimatedSeconds * inWal.rowsWritten) / inWal.rows, 6);
    // with a rollback journal its query reads TEMP copies filled in batches of about 100 ms, each with a commit (0.1 s)
    expect(inDelete.longestBatchSeconds).toBeCloseTo(
      0.1 + Math.max((inDelete.estimatedSeconds * inDelete.rowsWritten) / inDelete.rows, Math.min(inDelete.estimatedSeconds, 0.1)),
      9,
    );
  });

  it('rehearses one step on a small sample with the small tables it joins copied whole (0016 seeds the roles 0017 grants)', async () => {
    const file = await copyOfDatabase('mvp5-partial.db');
    const context = frameworkContext(file);
    const migrator = new Migrator({ adapter: context.adapter, migrations: await loadMigrations(REAL_MIGRATIONS), plugins: [createTransformerPlugin()] });
    expect((await migrator.migrate({ version: 16 })).error).toBeUndefined();
    // 300 of some 1,600 rows: a 1-in-5 sample of every large table; security_roles (a handful of rows) stays whole
    const plan = await new MigrationPlanner(context, { calibration: TEST_CALIBRATION, rehearsal: { sampleRows: 300 } }).createComprehensiveMigrationPlan(5);
    context.close();
    expect(plan.steps.map((s) => s.version)).toEqual([17]);
    expect(plan.steps[0]!.rules.map((r) => r.rule)).not.toContain('rehearsal-failed');
    expect(plan.estimation.method).toBe('rehearsal');
  });

  it('estimates resources, with an error when the disk is too small', async () => {
    const context = frameworkContext(database);
    const planner = new MigrationPlanner(context, { calibration: TEST_CALIBRATION, rehearsal: false });
    const plan = await planner.createComprehensiveMigrationPlan(5);
    const resources = await planner.estimateResourceRequirements(plan);
    expect(resources.storage.backupSpaceRequired).toBe(context.adapter.sizeBytes());
    expect(resources.storage.additionalSpaceRequired).toBeGreaterThan(1500 * 100);
    expect(resources.storage.freeSpace).toBeGreaterThan(0);
    expect(resources.memory.peakMemoryUsage).toBeGreaterThan(process.memoryUsage().rss / 2);
    expect(resources.cpu.recommendedCores).toBeGreaterThanOrEqual(1);
    expect(resources.errors).toEqual([]);
    const tiny = new MigrationPlanner(context, { calibration: TEST_CALIBRATION, rehearsal: false, diskSpace: () => 4096 });
    const errors = (await tiny.estimateResourceRequirements(plan)).errors;
    expect(errors.map((e) => e.code)).toEqual(['DISK_FULL']);
  });

  it('breaks the way to MVP5 down by milestone', async () => {
    const planner = new MigrationPlanner(frameworkContext(database), { calibration: TEST_CALIBRATION, rehearsal: false });
    const path = await planner.analyzeMVPUpgradePath(5);
    expect(path.milestones.map((m) => [m.mvp, m.migrations.map((x) => x.version)])).toEqual([
      [2, [3, 4, 5]],
      [3, [6, 7, 8, 9]],
      [4, [10, 11, 12, 13]],
      [5, [14, 15, 16, 17]],
    ]);
    expect(path.milestones.reduce((sum, m) => sum + m.estimatedSeconds, 0)).toBeCloseTo(path.plan.estimatedSeconds, 6);
  });

  it('calibrates once per machine, stores the calibration in its file, and reuses it', async () => {
    const calibrationPath = join(tempDir(), 'cache', 'calibration.json');
    const first = new MigrationPlanner({ database, migrationsPath: REAL_MIGRATIONS }, { calibrationPath, workDir: tempDir() }).calibration();
    expect(existsSync(calibrationPath)).toBe(true);
    expect(JSON.parse(readFileSync(calibrationPath, 'utf8'))).toEqual(first);
    expect(Object.values(first.secondsPerRow).every((v) => v > 0)).toBe(true);
    const second = new MigrationPlanner({ database, migrationsPath: REAL_MIGRATIONS }, { calibrationPath }).calibration();
    expect(second.measuredAt).toBe(first.measuredAt);
  });

  it('takes the timings of an earlier run of the same steps from mfmig_metrics', async () => {
    const file = await seededMvp1(300, REAL_MIGRATIONS);
    const context = frameworkContext(file, { enableMetrics: true });
    const migrator = await context.migrator();
    expect((await migrator.migrate({ mvp: 2 })).error).toBeUndefined();
    expect((await migrator.rollback({ mvp: 1 })).error).toBeUndefined();
    const plan = await new MigrationPlanner(context, { calibration: TEST_CALIBRATION, rehearsal: false }).createComprehensiveMigrationPlan(2);
    expect(plan.steps.map((s) => s.estimateSource)).toEqual(['metrics', 'metrics', 'metrics']);
    context.close();
  });
});
