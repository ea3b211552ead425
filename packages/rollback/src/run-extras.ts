import type { RemovedBackup, TakenBackup } from './backup/backup-registry.js';
import type { RestoredArchive } from './preservation/archive-restorer.js';
import type { PreservedData } from './preservation/archive-writer.js';

/** The verified backup the backup plugin took before a run (`result.extras.backup`). */
export interface RunBackupExtra {
  id: string;
  path: string;
  version: number;
  sha256: string;
  verified: boolean;
  removedByRetention: RemovedBackup[];
}

/**
 * How a backup taken before a run is reported on its result.
 *
 * @example
 * result.extras.backup = runBackupExtra(await createPreRunBackup(adapter, options, 10));
 */
export function runBackupExtra(backup: TakenBackup): RunBackupExtra {
  const { id, path, version, sha256, removedByRetention } = backup;
  return { id, path, version, sha256, verified: backup.integrity.verified, removedByRetention };
}

declare module '@mfmig/core' {
  interface RunExtras {
    /** The pre-run backup (backup plugin). */
    backup?: RunBackupExtra;
    /** What the run's downs dropped and the preservation plugin archived. */
    preserved?: PreservedData[];
    /** Archives the run's ups put back. */
    restored?: RestoredArchive[];
  }
}
