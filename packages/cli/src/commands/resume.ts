import { type Command, Option } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import type { ResumeOptions } from '@mfmig/rollback';
import { resumePostgres } from '../postgres/postgres-checkpoint.js';
import type { CliRuntime } from '../runtime.js';
import { failWith, withRepairService } from './rollback-service.js';
import { type LockWaitOptions, addLockWaitOptions } from './lock-wait-options.js';

type RestoreMode = NonNullable<ResumeOptions['restore']>;

const RESTORE_MODES: readonly RestoreMode[] = ['auto', 'always', 'never'];

interface ResumeCommandOptions extends LockWaitOptions {
  restore: RestoreMode;
}

/** `mfmig resume <checkpoint> [--restore auto|always|never]`. */
export function registerResume(program: Command, cli: CliRuntime): void {
  const command = program
    .command('resume')
    .description('finish the run a checkpoint recorded (refused when the migrations or the database changed)')
    .argument('<checkpoint>', 'the checkpoint folder or its checkpoint.json')
    .addOption(
      new Option('--restore <mode>', "restore the checkpoint's copy first: auto (when the database diverged or is damaged), always, never")
        .choices(RESTORE_MODES)
        .default('auto'),
    );
  addLockWaitOptions(command, 'the restore and the run').action(async (checkpoint: string, options: ResumeCommandOptions) => {
    if (isPostgresUrl(cli.globals.db)) return resumePostgres(cli, checkpoint, options);
    await withRepairService(cli, { loadModules: true }, async (manager) => {
      const result = await manager.resumeFromCheckpoint(checkpoint, { restore: options.restore, signal: cli.signal });
      const { run, ...summary } = result;
      cli.out.result({ ...summary, migrations: run?.results ?? [] }, () => {
        if (result.restored) cli.out.line(`Restored the checkpoint's copy first: ${result.reason}.`);
        if (result.savedAside) cli.out.line(`The replaced file is kept as ${result.savedAside}.`);
        cli.out.line(`Resumed checkpoint ${result.checkpointId}: version ${result.fromVersion} -> ${result.toVersion} (target ${result.targetVersion}).`);
      });
      if (result.error) failWith(cli, result.error);
    });
  });
}
