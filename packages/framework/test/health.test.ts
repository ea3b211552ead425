import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MigrationFramework, MigrationUtils } from '@mfmig/framework';
import { startIdleProcess, writeLockRow } from '@mfmig/test-support';
import { copyMigrations, seededFramework, tempDir } from './helpers.js';

describe('MigrationUtils.healthCheck', () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  it('is healthy at the latest milestone with a fresh verified backup', async () => {
    framework = await seededFramework(tempDir());
    await framework.migrationService.executeMVPMigration(5);
    const health = await MigrationUtils.healthCheck(framework);
    expect(health.status).toBe('healthy');
    expect(health.healthy).toBe(true);
    expect(health.currentMvp).toBe(5);
    expect(health.checks.pendingMigrations.count).toBe(0);
    expect(health.checks.backups.status).toBe('ok');
    expect(health.checks.backups.newest).toMatch(/\.db$/);
    expect(Object.values(health.checks).every((c) => c.status === 'ok')).toBe(true);
  });

  it('names a run lock held by a live run in another process, and one a dead run left behind', async () => {
    framework = await seededFramework(tempDir());
    expect((await MigrationUtils.healthCheck(framework)).checks.lock.status).toBe('ok');
    const other = await startIdleProcess();
    try {
      writeLockRow(framework.context.adapter, other.pid, { command: 'migrate to 5' });
      const held = await MigrationUtils.healthCheck(framework);
      expect(held.checks.lock.status).toBe('warning');
      expect(held.checks.lock.detail).toContain(`pid ${other.pid}`);
      expect(held.checks.lock.detail).toMatch(/^held/);
    } finally {
      await other.kill();
    }
    const stale = await MigrationUtils.healthCheck(framework);
    expect(stale.checks.lock.status).toBe('warning');
    expect(stale.checks.lock.detail).toMatch(/^stale lock left by pid \d+/);
  });

  it('is degraded with pending migrations', async () => {
    framework = await seededFramework(tempDir());
    const health = await MigrationUtils.healthCheck(framework);
    expect(health.status).toBe('degraded');
    expect(health.checks.pendingMigrations).toMatchObject({ status: 'warning', count: 15 });
    expect(health.checks.checksums.status).toBe('ok');
  });

  it('is unhealthy when an applied migration was edited', async () => {
    const dir = tempDir();
    const migrations = copyMigrations(dir);
    framework = await seededFramework(dir, { migrationsPath: migrations });
    // the SQLite file, not its PostgreSQL variant
    const file = readdirSync(join(migrations, 'mvp1')).find((f) => f.startsWith('0002_') && !f.includes('.postgres.'))!;
    appendFileSync(join(migrations, 'mvp1', file), '\n-- edited after it was applied\n');
    const health = await MigrationUtils.healthCheck(framework);
    expect(health.status).toBe('unhealthy');
    expect(health.healthy).toBe(false);
    expect(health.checks.checksums).toMatchObject({ status: 'error', problems: 1 });
  });

  it('reports drift after a manual CREATE TABLE', async () => {
    framework = await seededFramework(tempDir());
    await framework.migrationService.executeMVPMigration(5);
    expect((await MigrationUtils.healthCheck(framework)).checks.drift).toMatchObject({ status: 'ok', changes: 0 });
    framework.context.adapter.raw.exec('CREATE TABLE hand_made (id INTEGER PRIMARY KEY, note TEXT)');
    const health = await MigrationUtils.healthCheck(framework);
    expect(health.checks.drift.status).toBe('warning');
    expect(health.checks.drift.changes).toBeGreaterThanOrEqual(1);
    expect(health.checks.drift.detail).toContain('hand_made');
    expect(health.status).toBe('degraded');
  });

  it('warns when there is no backup', async () => {
    framework = await seededFramework(tempDir(), { framework: { backupBeforeRun: false } });
    await framework.migrationService.executeMVPMigration(5);
    const health = await MigrationUtils.healthCheck(framework);
    expect(health.checks.backups).toMatchObject({ status: 'warning', newest: null, ageHours: null });
    expect(health.status).toBe('degraded');
    await framework.rollbackManager.createBackup();
    expect((await MigrationUtils.healthCheck(framework)).status).toBe('healthy');
  });
});
