import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MigrationFramework, createMigrationFramework } from '@mfmig/framework';
import { REAL_MIGRATIONS, scalar, seededFramework, tempDir } from './helpers.js';

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
});
