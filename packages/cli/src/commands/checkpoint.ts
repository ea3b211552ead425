import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isPostgresUrl, readDatabaseIdentityAt } from '@mfmig/core';
import { checkpointPostgres } from '../postgres/postgres-checkpoint.js';
import { listCheckpoints } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { withRollbackService } from './rollback-service.js';
import { type TargetOptions, addTargetOptions, targetFrom } from './target-options.js';
import { milestoneSuffix } from '../milestone-text.js';

interface CheckpointOptions extends TargetOptions {
  id: string;
  list: boolean;
}

/** `mfmig checkpoint [--id <name>] [--to N | --to-mvp N] [--list]`. */
export function registerCheckpoint(program: Command, cli: CliRuntime): void {
  addTargetOptions(
    program
      .command('checkpoint')
      .description('capture the database and the run position (current version, target, migration checksums), or list checkpoints')
      .option('--id <name>', 'what the checkpoint is named after', 'manual'),
    'the run goes to',
  )
    .option('--list', "list the database's checkpoints", false)
    .action(async (options: CheckpointOptions) => {
      if (isPostgresUrl(cli.globals.db)) return checkpointPostgres(cli, { id: options.id, list: options.list, target: targetFrom(options) });
      if (options.list) {
        const database = readDatabaseIdentityAt(resolve(cli.globals.db));
        const checkpoints = listCheckpoints(cli.globals.backups, { database });
        cli.out.result(checkpoints, () => {
          if (checkpoints.length === 0) cli.out.line(`No checkpoints of ${database.path} in ${cli.globals.backups}.`);
          for (const c of checkpoints) cli.out.line(`${c.folder}  ${c.migrationId}: version ${c.position.currentVersion} -> ${c.position.targetVersion}`);
        });
        return;
      }
      const checkpoint = await withRollbackService(cli, { loadModules: false }, (manager) =>
        manager.createCheckpoint(options.id, { target: targetFrom(options) }),
      );
      cli.out.result(checkpoint, () => {
        cli.out.line(`Checkpoint ${checkpoint.id}`);
        cli.out.line(`  folder:   ${checkpoint.folder}`);
        cli.out.line(
          `  position: version ${checkpoint.position.currentVersion}${milestoneSuffix(checkpoint.position.currentMvp)}, target ${checkpoint.position.targetVersion}, ${checkpoint.position.pending.length} migration(s) to go`,
        );
        cli.out.line(`Resume with: mfmig resume ${checkpoint.folder}`);
      });
    });
}
