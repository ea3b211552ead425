import { describe, expect, it } from 'vitest';
import { type RepeatableMigration, type RunInfo, RunValues, openDatabase, sqliteConnectionOf } from '@mfmig/core';
import { join } from 'node:path';
import { createBackupPlugin } from '@mfmig/rollback';
import { tempDir } from './helpers.js';

const repeatable: RepeatableMigration = {
  name: 'views',
  description: 'views',
  file: 'R__views.sql',
  checksum: 'c',
  transaction: 'immediate',
  connection: { foreignKeys: 'on', legacyAlterTable: false },
  sql: 'SELECT 1',
  up: () => {},
};

describe('the pre-run backup and repeatable migrations', () => {
  it('backs up before a run of repeatable migrations alone, and not before a run with nothing to do', async () => {
    const asked: string[] = [];
    const plugin = createBackupPlugin({
      backupBeforeRun: async (run) => {
        asked.push(run.runId);
        return null;
      },
    });
    const adapter = openDatabase(join(tempDir(), 'run.db'), { create: true });
    const run = (runId: string, repeatables: RepeatableMigration[]): RunInfo => ({
      runId,
      direction: 'up',
      fromVersion: 2,
      targetVersion: 2,
      steps: [],
      repeatables,
      dryRun: false,
      adapter,
      connection: sqliteConnectionOf(adapter),
      values: new RunValues(),
      status: {
        currentVersion: 2,
        currentVersionMvp: 1,
        currentMvp: 1,
        hasMilestones: true,
        format: 'mfmig',
        latestVersion: 2,
        latestMvp: 1,
        applied: [],
        pending: [],
        pendingRepeatables: [],
        problems: [],
      },
    });
    await plugin.beforeRun!(run('only-repeatables', [repeatable]));
    await plugin.beforeRun!(run('nothing', []));
    expect(asked).toEqual(['only-repeatables']);
    adapter.close();
  });
});
