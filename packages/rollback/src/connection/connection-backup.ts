import { type DialectParticipant, type DialectRun, MfmigError, PostgresConnection, SqliteConnection } from '@mfmig/core';
import { createPreRunBackup } from '../backup/retained-backup.js';
import { type RunBackupExtra, runBackupExtra } from '../run-extras.js';
import { createPgDumpBackup } from './pg-dump-backup.js';

/** Options of {@link createConnectionBackup}. */
export interface ConnectionBackupOptions {
  /**
   * The backup folder. On SQLite each database gets its own folder in it (as `mfmig backup` and
   * `RollbackManager` keep them, so `restoreBackup` and `mfmig restore` find the copy); on
   * PostgreSQL the dumps go into it (as `mfmig --db postgres://… backup` keeps them).
   */
  folder: string;
  /** False turns the pre-run backup off. Default true. */
  enabled?: boolean;
  /**
   * How the copy is checked before the run may start. SQLite: `full` (integrity_check, default),
   * `quick` (quick_check) or false. PostgreSQL: `pg_restore --list` unless false. A copy that fails
   * stops the run before anything is written.
   */
  verify?: 'full' | 'quick' | false;
  /** PostgreSQL: the URL the connection was opened with, for the manifest's host and port. Default: the connection's own; `pg_dump` connects with the connection's URL. */
  url?: string;
  /**
   * SQLite: after the backup, keep this many of the database's backups of the kinds retention
   * counts (its newest verified one and labelled manual ones are always kept); 0 keeps all.
   * Default 10, as the `backupRetention` setting.
   */
  retention?: number;
  /** PostgreSQL: told each step of the copy (`pg_dump`, `pg_restore --list`). SQLite's page copy reports through the run's `operationProgress` events. */
  onProgress?: (message: string) => void;
}

/**
 * The participant that takes a verified backup before every real run of a `DialectMigrator` that
 * has something to do (steps or pending repeatable migrations), in either direction: under the
 * run's lock, before the first step, so that the copy is the database exactly as the run found it
 * and no other runner changes it in between. On SQLite it is the online-backup copy with its
 * manifest that `RollbackManager` takes (it finishes while the application writes); on PostgreSQL
 * a `pg_dump -Fc` of the schema, verified with `pg_restore --list`. Not in a dry run, not when
 * turned off. A backup that fails stops the run with `BACKUP_FAILED` or `BACKUP_INVALID`, nothing
 * written. `result.extras.backup` says which copy was taken.
 *
 * @example
 * const migrator = new DialectMigrator({
 *   connection,
 *   migrations,
 *   participants: [createConnectionTransformer(), createConnectionPreservation(), createConnectionBackup({ folder: './backups' })],
 * });
 * const result = await migrator.migrate();
 * result.extras.backup?.id; // the copy to restore if the release goes wrong
 */
export function createConnectionBackup(options: ConnectionBackupOptions): DialectParticipant {
  const taken = new Map<string, RunBackupExtra>();
  return {
    name: 'backup',
    async beforeRun(run) {
      if (options.enabled === false || run.dryRun || (run.steps.length === 0 && run.repeatables.length === 0)) return;
      taken.set(run.runId, await backUp(run, options));
    },
    async afterRun(run, result) {
      const backup = taken.get(run.runId);
      taken.delete(run.runId);
      if (backup) result.extras.backup = backup;
    },
  };
}

async function backUp(run: DialectRun, options: ConnectionBackupOptions): Promise<RunBackupExtra> {
  const { connection } = run;
  if (connection instanceof SqliteConnection) {
    const backup = await createPreRunBackup(
      connection,
      {
        backupPath: options.folder,
        kind: run.direction === 'up' ? 'pre-run' : 'pre-rollback',
        verify: options.verify ?? 'full',
        migrations: run.migrations,
        run: { runId: run.runId, direction: run.direction, fromVersion: run.fromVersion, targetVersion: run.targetVersion },
        onProgress: (p) => run.progress(p),
      },
      options.retention ?? 10,
    );
    return runBackupExtra(backup);
  }
  if (connection instanceof PostgresConnection) {
    const backup = await createPgDumpBackup(connection, {
      ...(options.url === undefined ? {} : { url: options.url }),
      schema: connection.schema,
      folder: options.folder,
      label: `before ${run.direction === 'up' ? 'migrating' : 'rolling back'} from version ${run.fromVersion} to ${run.targetVersion}`,
      verify: options.verify !== false,
      onProgress: options.onProgress,
    });
    const { id, path, version, sha256 } = backup;
    return { id, path, version, sha256, verified: backup.verified !== null, removedByRetention: [] };
  }
  throw new MfmigError('USAGE', `createConnectionBackup does not back up a ${connection.dialect} connection`);
}
