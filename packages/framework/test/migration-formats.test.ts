import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '@mfmig/core';
import { collectReportData, createMigrationFramework } from '@mfmig/framework';
import { tempDir } from './helpers.js';

/** A folder of `.up.sql` / `.down.sql` pairs, versions 1..3 (golang-migrate by its names, sqlx as well). */
function pairs(dir: string): string {
  const folder = join(dir, 'migrations');
  mkdirSync(folder);
  for (const v of [1, 2, 3]) {
    writeFileSync(join(folder, `${v}_t${v}.up.sql`), `CREATE TABLE t${v} (id INTEGER PRIMARY KEY);\n`);
    writeFileSync(join(folder, `${v}_t${v}.down.sql`), `DROP TABLE t${v};\n`);
  }
  return folder;
}

describe('the format and milestones configuration keys', () => {
  it('force the format and give a flat folder milestones the migration service can target', async () => {
    const dir = tempDir();
    const framework = createMigrationFramework(
      {
        database: join(dir, 'kb.db'),
        migrationsPath: pairs(dir),
        backupPath: join(dir, 'backups'),
        format: 'sqlx',
        milestones: [{ mvp: 1, through: 2 }, { mvp: 2 }],
      },
      { backupBeforeRun: false },
    );
    try {
      const set = await framework.context.loadMigrations();
      expect([set.format, set.milestones]).toEqual(['sqlx', [1, 2]]);
      const run = await framework.migrationService.executeMVPMigration(1);
      expect(run.success).toBe(true);
      expect(new HistoryStore(framework.context.adapter).list().map((h) => [h.version, h.mvp])).toEqual([
        [1, 1],
        [2, 1],
      ]);
    } finally {
      framework.close();
    }
  });

  it('without milestones: migrating to a milestone is refused, and the report plans to the latest version', async () => {
    const dir = tempDir();
    const framework = createMigrationFramework(
      { database: join(dir, 'kb.db'), migrationsPath: pairs(dir), backupPath: join(dir, 'backups') },
      { backupBeforeRun: false },
    );
    try {
      await expect(framework.migrationService.executeMVPMigration(1)).rejects.toMatchObject({
        code: 'TARGET_UNKNOWN',
        message: expect.stringContaining('no milestones'),
      });
      const report = await collectReportData(framework, { validate: false });
      expect(report.plan?.steps.map((s) => s.label)).toEqual(['0001_t1 (up)', '0002_t2 (up)', '0003_t3 (up)']);
    } finally {
      framework.close();
    }
  });
});
