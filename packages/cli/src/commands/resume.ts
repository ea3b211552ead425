import { InvalidArgumentError, type Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { failWith, rollbackServiceForRepair } from './rollback-service.js';

type RestoreMode = 'auto' | 'always' | 'never';

function restoreMode(value: string): RestoreMode {
  if (value === 'auto' || value === 'always' || value === 'never') return value;
  throw new InvalidArgumentError('must be auto, always or never');
}

/** `mfmig resume <checkpoint> [--restore auto|always|never]`. */
export function registerResume(program: Command, cli: CliRuntime): void {
  program
    .command('resume')
    .description('finish the run a checkpoint recorded (refused when the migrations or the database changed)')
    .argument('<checkpoint>', 'the checkpoint folder or its checkpoint.json')
    .option('--restore <mode>', "restore the checkpoint's copy first: auto (when the database diverged or is damaged), always, never", restoreMode, 'auto')
    .action(async (checkpoint: string, options: { restore: RestoreMode }) => {
      const manager = rollbackServiceForRepair(cli, { loadModules: true });
      try {
        const result = await manager.resumeFromCheckpoint(checkpoint, { restore: options.restore, signal: cli.signal });
        const { run, ...summary } = result;
        cli.out.result({ ...summary, migrations: run?.results ?? [] }, () => {
          if (result.restored) cli.out.line(`Restored the checkpoint's copy first: ${result.reason}.`);
          if (result.savedAside) cli.out.line(`The replaced file is kept as ${result.savedAside}.`);
          cli.out.line(`Resumed checkpoint ${result.checkpointId}: version ${result.fromVersion} -> ${result.toVersion} (target ${result.targetVersion}).`);
        });
        if (result.error) failWith(cli, result.error);
      } finally {
        manager.close();
      }
    });
}
