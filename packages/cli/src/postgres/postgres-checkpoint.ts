import { type MigrationTarget, MfmigError, resolveTargetVersion } from '@mfmig/core';
import {
  type PgCheckpoint,
  createPgCheckpoint,
  listPgCheckpoints,
  pgDatabaseIdentity,
  readPgCheckpoint,
  restorePgDumpBackup,
  sameDatabase,
} from '@mfmig/rollback';
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
  const checkpoint = readPgCheckpoint(folder, ref);
  const conn = await open(cli, { createSchema: false });
  try {
    if (!sameDatabase(checkpoint.database, await pgDatabaseIdentity(conn, cli.globals.db, conn.schema))) {
      throw new MfmigError('BACKUP_OTHER_DATABASE', `Checkpoint ${checkpoint.id} belongs to another database or schema; nothing was changed`);
    }
    const m = await migrator(cli, conn, { loadModules: true, lockWait: lockWaitFrom(options) });
    assertMigrationsUnchanged(checkpoint, m.migrations);
    const live = (await conn.history.list()).map((h) => h.version);
    const beyond = live.filter((v) => v > checkpoint.position.targetVersion);
    if (beyond.length > 0 && options.restore !== 'always') {
      throw new MfmigError(
        'CHECKPOINT_INVALID',
        `The schema is past the target of checkpoint ${checkpoint.id} (version(s) ${beyond.join(', ')} applied); nothing was changed (--restore always would go back to the checkpoint's dump)`,
      );
    }
    const offPath = offThePath(
      checkpoint,
      live.filter((v) => v <= checkpoint.position.targetVersion),
    );
    if (offPath && options.restore === 'never') {
      throw new MfmigError(
        'CHECKPOINT_INVALID',
        `The schema left the run of checkpoint ${checkpoint.id} (${offPath}); resume with --restore auto to restore its dump first`,
      );
    }
    const restore = options.restore === 'always' || offPath !== null;
    const restored = restore
      ? await restorePgDumpBackup(conn, {
          url: cli.globals.db,
          schema: conn.schema,
          folder,
          id: checkpoint.backupId,
          saveAside: 'pre-resume',
          lockWait: lockWaitFrom(options),
        })
      : null;
    const savedAside = restored?.savedAside?.id ?? null;
    const fromVersion = (await m.status()).currentVersion;
    const detach = new ProgressReporter(cli.out).attach(m.events);
    let run;
    try {
      run = await m.migrate({ version: checkpoint.position.targetVersion }, { signal: cli.signal, command: `mfmig resume ${checkpoint.id}` });
    } finally {
      detach();
    }
    if (run.error) throw run.error;
    const shown = postgresExecutionResult(run, await m.status(), m);
    const reason = restore ? (offPath ?? 'asked with --restore always') : null;
    cli.out.result(
      {
        dialect: 'postgres',
        checkpointId: checkpoint.id,
        restored: restore,
        reason,
        savedAside,
        fromVersion,
        toVersion: run.toVersion,
        targetVersion: checkpoint.position.targetVersion,
        migrations: run.results,
      },
      () => {
        if (restore) cli.out.line(`Restored the checkpoint's dump ${checkpoint.backupId} first: ${reason}.`);
        if (savedAside) cli.out.line(`The replaced schema is kept as pg_dump backup ${savedAside}.`);
        renderRun(cli.out, shown);
        cli.out.line(`Resumed checkpoint ${checkpoint.id}: version ${fromVersion} -> ${run.toVersion} (target ${checkpoint.position.targetVersion}).`);
      },
    );
  } finally {
    await conn.close();
  }
}

function assertMigrationsUnchanged(checkpoint: PgCheckpoint, migrations: { byVersion: Map<number, { checksum: string }> }): void {
  for (const [version, checksum] of Object.entries(checkpoint.position.checksums)) {
    const now = migrations.byVersion.get(Number(version))?.checksum;
    if (now !== checksum) {
      throw new MfmigError(
        'CHECKPOINT_INVALID',
        `Migration ${version} ${now === undefined ? 'is gone from' : 'was edited in'} the folder since checkpoint ${checkpoint.id} was taken; nothing was changed`,
        { context: { version: Number(version) } },
      );
    }
  }
}

/** Why the live history is off the checkpoint's run (null when it is on it: the checkpoint's versions, plus some of the run's). */
function offThePath(checkpoint: PgCheckpoint, live: number[]): string | null {
  const { applied, pending } = checkpoint.position;
  const missing = applied.filter((v) => !live.includes(v));
  if (missing.length > 0) return `version(s) ${missing.join(', ')} applied at the checkpoint are no longer applied`;
  const foreign = live.filter((v) => !applied.includes(v) && !pending.includes(v));
  if (foreign.length > 0) return `version(s) ${foreign.join(', ')} were applied outside the run`;
  return null;
}
