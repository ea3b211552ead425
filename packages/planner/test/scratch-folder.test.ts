import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServiceContext, isMfmigError } from '@mfmig/core';
import { MigrationPlanner } from '@mfmig/planner';
import { createTransformerPlugin } from '@mfmig/transformer';
import { REAL_MIGRATIONS, TEST_CALIBRATION, seededMvp1, tempDir } from './helpers.js';

let database: string;

beforeAll(async () => {
  database = await seededMvp1(300, REAL_MIGRATIONS);
});

function planner(workDir: string, options: ConstructorParameters<typeof MigrationPlanner>[1] = {}) {
  const context = createServiceContext({ database, migrationsPath: REAL_MIGRATIONS, backupPath: tempDir() });
  context.plugins.push(createTransformerPlugin());
  return new MigrationPlanner(context, { calibration: TEST_CALIBRATION, workDir, ...options });
}

describe("the planner's temporary files", () => {
  it('live in a private folder of the work folder that is gone after the plan, also after a failed one', async () => {
    const workDir = tempDir();
    const plan = await planner(workDir).createPlan({ mvp: 5 });
    expect(plan.estimation.method).toBe('rehearsal');
    expect(readdirSync(workDir)).toEqual([]);
    await expect(planner(workDir).createPlan({ version: 99 })).rejects.toThrow();
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('measures the machine in the private folder too, and plans without a calibration file that cannot be written', async () => {
    const workDir = tempDir();
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    // a calibration file under a regular file cannot be written, whoever runs the test
    const p = planner(workDir, { calibration: undefined, calibrationPath: join(blocker, 'calibration.json') });
    const plan = await p.createPlan({ mvp: 2 });
    expect(plan.estimation.calibrationFile).toBeNull();
    expect(p.calibration().format).toBe(1);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('refuses a work folder other users could swap its private folder in, creating nothing there', async () => {
    const workDir = tempDir();
    chmodSync(workDir, 0o777);
    let thrown: unknown;
    try {
      await planner(workDir).createPlan({ mvp: 5 });
    } catch (error) {
      thrown = error;
    }
    expect(isMfmigError(thrown) && thrown.code).toBe('CONFIG_INVALID');
    expect(readdirSync(workDir)).toEqual([]);
  });
});
