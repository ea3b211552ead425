import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrationFramework } from '@mfmig/framework';
import { copyMigrations, scalar, seededFramework, tempDir } from './helpers.js';

let framework: MigrationFramework | undefined;

afterEach(() => {
  framework?.close();
  framework = undefined;
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a plan whose rehearsal failed', () => {
  it('is refused by migrateTo when given as the plan: REHEARSAL_FAILED, nothing run, the file unchanged', async () => {
    const dir = tempDir();
    const migrations = copyMigrations(dir, [1]);
    // Seeded entries share categories: the index fails on the data, not on the schema.
    mkdirSync(join(migrations, 'mvp2'));
    writeFileSync(
      join(migrations, 'mvp2', '0003_unique_categories.sql'),
      '-- migrate:up\nCREATE UNIQUE INDEX kb_entries_category ON kb_entries (category);\n-- migrate:down\nDROP INDEX kb_entries_category;\n',
    );
    framework = await seededFramework(dir, {
      migrationsPath: migrations,
      framework: { planner: { workDir: dir, calibrationPath: join(dir, 'calibration.json') } },
    });
    const plan = await framework.planner.createPlan({ version: 3 });
    expect(plan.rehearsal).toMatchObject({ failed: true, version: 3, name: 'unique_categories' });
    const database = join(dir, 'knowledge.db');
    const before = sha256(database);
    await expect(framework.migrationService.migrateTo({ version: 3 }, { plan })).rejects.toMatchObject({ code: 'REHEARSAL_FAILED', context: { version: 3 } });
    expect(sha256(database)).toBe(before);
    await expect(framework.migrationService.migrateTo({ version: 3 })).rejects.toMatchObject({ code: 'MIGRATION_FAILED', context: { version: 3 } });
    expect(scalar(database, 'SELECT max(version) FROM mfmig_history')).toBe(2);
  });
});
