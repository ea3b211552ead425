import { type MigrationTarget, resolveTargetVersion } from '@mfmig/core';
import { createPgCheckpoint, listPgCheckpoints, pgDatabaseIdentity, readPgCheckpoint, resumePgCheckpoint } from '@mfmig/rollback';
import { ProgressReporter } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import type { CliRuntime } from '../runtime.js';
import { pgBackupFolder } from './postgres-backup.js';
import { postgresExecutionResult } from '@mfmig/framework';
import { migrator, open } from './postgres-commands.js';
import { type LockWaitOptions, lockWaitFrom } from '../commands/lock-wait-options.js';
import { loadPostgresMigrations } from './postgres-migrations.js';

/**
 * `mfmig --db postgres://... checkpoint [--id <name>] [--to N | --to-mvp N] [--list]`: a verified
 * `pg_dump` of the schema with the run position up to the target (see `createPgCheckpoint`), or
 * the schema's checkpoints.
 */
export async function checkpointPostgres(cli: CliRuntime, options: { id: string; list: boolean; target: MigrationTarget }): Promise<void> {
  const folder = pgBackupFolder(cli);
  const conn = await open(cli, { createSchema: false });
  try {
    if (options.list) {
      const checkpoints = listPgCheckpoints(folder, await pgDatabaseIdentity(conn, cli.globals.db, conn.schema));
      cli.out.result(checkpoints, () => {
        if (checkpoints.length === 0) cli.out.line(`No checkpoints of ${conn.target} in ${folder}.`);
        for (const c of checkpoints) cli.out.line(`${c.id}  ${c.migrationId}: version ${c.position.currentVersion} -> ${c.position.targetVersion}`);
      });
      return;
    }
    const migrations = await loadPostgresMigrations(cli, 'metadata');
    const applied = (await conn.history.list()).map((h) => h.version);
    const checkpoint = await createPgCheckpoint(conn, {
      url: cli.globals.db,
      schema: conn.schema,
      folder,
      migrationId: options.id,
      migrations,
      applied,
      targetVersion: resolveTargetVersion(migrations, options.target),
    });
    cli.out.result({ dialect: 'postgres', ...checkpoint }, () => {
      cli.out.line(`Checkpoint ${checkpoint.id}`);
      cli.out.line(`  backup:   ${checkpoint.backupId}`);
      cli.out.line(
        `  position: version ${checkpoint.position.currentVersion}, target ${checkpoint.position.targetVersion}, ${checkpoint.position.pending.length} migration(s) to go`,
      );
      cli.out.line(`Resume with: mfmig resume ${checkpoint.id}`);
    });
  } finally {
    await conn.close();
  }
}

/**
 * `mfmig --db postgres://... resume <checkpoint> [--restore auto|always|never]`: finishes the run
 * a checkpoint recorded. Refused (nothing changed) for another database's checkpoint
 * (`BACKUP_OTHER_DATABASE`) and when a migration up to its target changed since
 * (`CHECKPOINT_INVALID`). The schema is restored from the checkpoint's dump first when it left
 * the run's path (a version applied that the run did not apply, or one of the run's gone) with
 * `auto`, always with `always`, never with `never` (which then refuses a schema off the path).
 */
export async function resumePostgres(cli: CliRuntime, ref: string, options: LockWaitOptions & { restore: 'auto' | 'always' | 'never' }): Promise<void> {
  const folder = pgBackupFolder(cli);
  // a reference to no checkpoint is refused before anything connects
  const { id } = readPgCheckpoint(folder, ref);
  const conn = await open(cli, { createSchema: false });
  try {
    const m = await migrator(cli, conn, { loadModules: true, lockWait: lockWaitFrom(options) });
    const detach = new ProgressReporter(cli.out).attach(m.events);
    let resumed;
    try {
      resumed = await resumePgCheckpoint(cli.globals.db, conn, m, ref, {
        folder,
        restore: options.restore,
        command: `mfmig resume ${id}`,
        lockWait: lockWaitFrom(options),
        signal: cli.signal,
      });
    } finally {
      detach();
    }
    const { checkpoint, run, restored, reason, savedAside, fromVersion } = resumed;
    if (run.error) throw run.error;
    const shown = postgresExecutionResult(run, await m.status(), m);
    cli.out.result(
      {
        dialect: 'postgres',
        checkpointId: checkpoint.id,
        restored,
        reason,
        savedAside,
        fromVersion,
        toVersion: run.toVersion,
        targetVersion: checkpoint.position.targetVersion,
        migrations: run.results,
      },
      () => {
        if (restored) cli.out.line(`Restored the checkpoint's dump ${checkpoint.backupId} first: ${reason}.`);
        if (savedAside) cli.out.line(`The replaced schema is kept as pg_dump backup ${savedAside}.`);
        renderRun(cli.out, shown);
        cli.out.line(`Resumed checkpoint ${checkpoint.id}: version ${fromVersion} -> ${run.toVersion} (target ${checkpoint.position.targetVersion}).`);
      },
    );
  } finally {
    await conn.close();
  }
}
