import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager } from '@mfmig/rollback';
import { copyFixtures, databaseState, seededDatabase, tempDir } from './helpers.js';

describe('a failed migration run', () => {
  let dir: string;
  let migrations: string;

  beforeEach(() => {
    dir = tempDir();
    migrations = copyFixtures(dir);
    writeFileSync(
      join(migrations, 'mvp5', '0012_broken.sql'),
      '-- migrate:up\nCREATE TABLE broken (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n-- migrate:down\nDROP TABLE broken;\n',
    );
  });

  async function failedRun(name: string): Promise<{ manager: RollbackManager; dbPath: string; start: ReturnType<typeof databaseState> }> {
    const dbPath = await seededDatabase(dir, { rows: 150, target: { mvp: 2 }, migrationsPath: migrations, name });
    const start = databaseState(dbPath);
    const manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, `${name}-backups`) });
    const run = await (await manager.context.migrator()).migrate({ latest: true });
    expect(run.error?.message).toMatch(/0012_broken/);
    expect(run.fromVersion).toBe(4);
    expect(run.toVersion).toBeGreaterThan(4);
    return { manager, dbPath, start };
  }

  it('is rolled back to the version where the run started', async () => {
    const { manager, dbPath, start } = await failedRun('a.db');
    const migrator = await manager.context.migrator();
    const result = await manager.recoverFailedRun({ fromVersion: 4 });
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect(result.toVersion).toBe(4);
    expect(migrator.status().currentVersion).toBe(4);
    manager.close();
    const state = databaseState(dbPath);
    expect(state.versions).toEqual(start.versions);
    expect(state.schema).toBe(start.schema);
    expect(state.tables).toEqual(start.tables);
    expect(state.integrity).toBe('ok');
  });

  it('is reverted by emergency rollback failed-migration', async () => {
    const { manager, dbPath, start } = await failedRun('b.db');
    const result = await manager.executeEmergencyRollback('failed-migration');
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect(result.restoredToVersion).toBe(4);
    expect(result.backupUsed).toBeNull();
    expect(result.actionsPerformed.some((a) => /reverted \d+ migration/.test(a))).toBe(true);
    manager.close();
    expect(databaseState(dbPath).tables).toEqual(start.tables);
  });

  it('falls back to the pre-run backup when the run cannot be reverted', async () => {
    writeFileSync(join(migrations, 'mvp5', '0011_no_down.sql'), '-- migrate:up\nCREATE TABLE no_down (id INTEGER PRIMARY KEY);\n');
    const { manager, dbPath, start } = await failedRun('c.db');
    expect((await manager.context.migrator()).status().currentVersion).toBe(11);
    const result = await manager.executeEmergencyRollback('failed-migration');
    expect(result.success).toBe(true);
    expect(result.backupUsed?.kind).toBe('pre-run');
    expect(result.restoredToVersion).toBe(4);
    manager.close();
    const state = databaseState(dbPath);
    expect(state.versions).toEqual(start.versions);
    expect(state.tables).toEqual(start.tables);
  });
});
