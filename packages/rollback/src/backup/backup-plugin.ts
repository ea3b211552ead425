import type { DialectParticipant, MigrationPlugin, RunInfo, RunResult } from '@mfmig/core';
import type { BackupRecord } from './backup-manifest.js';
import type { RemovedBackup } from './backup-registry.js';
import { runBackupExtra } from '../run-extras.js';

/**
 * Name of the plugin, to find it in `ctx.plugins`.
 *
 * @example
 * const registered = ctx.plugins.some((p) => p.name === BACKUP_PLUGIN_NAME);
 */
export const BACKUP_PLUGIN_NAME = 'mfmig-rollback-backup';

/** What the backup plugin needs: something that takes the pre-run backup (the RollbackManager). */
export interface PreRunBackupTaker {
  /** Takes the backup for `run` (with what retention removed after it); null when none is needed (the manager took one itself). */
  backupBeforeRun(run: BackedUpRun, options: { verify: 'full' | 'quick' | false }): Promise<(BackupRecord & { removedByRetention?: RemovedBackup[] }) | null>;
}

/** What the pre-run backup reads of a run: the same on `Migrator`'s `RunInfo` and `DialectMigrator`'s `DialectRun`. */
export interface BackedUpRun extends Pick<RunInfo, 'runId' | 'direction' | 'fromVersion' | 'targetVersion' | 'dryRun'> {
  readonly steps: readonly unknown[];
  readonly repeatables?: readonly unknown[];
}

/** Options of {@link createBackupPlugin}. */
export interface BackupPluginOptions {
  /** False turns the pre-run backup off. Default true. */
  enabled?: boolean;
  /** Integrity check of the copy; a copy that fails it stops the run before any change. Default `full`. */
  verify?: 'full' | 'quick' | false;
}

/**
 * The core plugin that takes a backup (SQLite online backup API, with a manifest) before every
 * real run that has something to do: not before a dry run, and not when turned off with
 * `enabled: false`. The run's result carries it in `extras.backup`, with the backups retention
 * removed after it (`removedByRetention`).
 *
 * @example
 * const rollback = new RollbackManager(ctx);
 * ctx.plugins.push(createBackupPlugin(rollback));
 */
export function createBackupPlugin(manager: PreRunBackupTaker, options: BackupPluginOptions = {}): MigrationPlugin {
  return preRunBackup(manager, options);
}

/**
 * The same pre-run backup as a `DialectMigrator` participant, for a run on a `SqliteConnection`
 * over the manager's database: the manager's backup folder, retention and verification, in
 * `result.extras.backup`, as {@link createBackupPlugin} gives them (`createConnectionBackup` is the
 * form that needs no manager, and backs up PostgreSQL too).
 *
 * @example
 * new DialectMigrator({ connection: new SqliteConnection(ctx.adapter), migrations, participants: [createBackupParticipant(rollback)] });
 */
export function createBackupParticipant(manager: PreRunBackupTaker, options: BackupPluginOptions = {}): DialectParticipant {
  return preRunBackup(manager, options);
}

/** The pre-run backup's hooks, written against what both runners' runs have, so that one object is either form. */
function preRunBackup(manager: PreRunBackupTaker, options: BackupPluginOptions) {
  const taken = new Map<string, BackupRecord & { removedByRetention?: RemovedBackup[] }>();
  return {
    name: BACKUP_PLUGIN_NAME,
    async beforeRun(run: BackedUpRun): Promise<void> {
      // a run of repeatable migrations alone changes the schema too
      if (options.enabled === false || run.dryRun || (run.steps.length === 0 && (run.repeatables ?? []).length === 0)) return;
      const backup = await manager.backupBeforeRun(run, { verify: options.verify ?? 'full' });
      if (backup) taken.set(run.runId, backup);
    },
    async afterRun(run: BackedUpRun, result: RunResult): Promise<void> {
      const backup = taken.get(run.runId);
      taken.delete(run.runId);
      if (backup) result.extras.backup = runBackupExtra({ ...backup, removedByRetention: backup.removedByRetention ?? [] });
    },
  };
}
