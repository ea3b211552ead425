import type { MigrationPlugin, RunInfo } from '@mfmig/core';
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
  backupBeforeRun(run: RunInfo, options: { verify: 'full' | 'quick' | false }): Promise<(BackupRecord & { removedByRetention?: RemovedBackup[] }) | null>;
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
  const taken = new Map<string, BackupRecord & { removedByRetention?: RemovedBackup[] }>();
  return {
    name: BACKUP_PLUGIN_NAME,
    async beforeRun(run) {
      // a run of repeatable migrations alone changes the schema too
      if (options.enabled === false || run.dryRun || (run.steps.length === 0 && (run.repeatables ?? []).length === 0)) return;
      const backup = await manager.backupBeforeRun(run, { verify: options.verify ?? 'full' });
      if (backup) taken.set(run.runId, backup);
    },
    afterRun(run, result) {
      const backup = taken.get(run.runId);
      taken.delete(run.runId);
      if (backup) result.extras.backup = runBackupExtra({ ...backup, removedByRetention: backup.removedByRetention ?? [] });
    },
  };
}
