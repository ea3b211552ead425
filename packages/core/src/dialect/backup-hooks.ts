import type { OperationProgress } from '../events/index.js';
import type { LockWaitPolicy } from './lock-wait-policy.js';

/** What a dialect's backup copy is: a SQLite database file, or a `pg_dump -Fc` archive. */
export type BackupFormatName = 'sqlite-file' | 'pg_dump-custom';

/** Options of {@link DialectBackupHooks.copy}. */
export interface BackupCopyOptions {
  /** Progress of the copy in pages (SQLite's page copy). */
  onProgress?: (progress: OperationProgress) => void;
  /** Each step of the copy, in words (`pg_dump of public`). */
  onStep?: (message: string) => void;
  /** Other schemas the copy takes in the same snapshot, when they exist (PostgreSQL: `mfmig_archive`). SQLite's file holds everything already. */
  alsoSchemas?: readonly string[];
  /** Pages per step of SQLite's copy (default 8192). */
  pagesPerStep?: number;
}

/** What {@link DialectBackupHooks.copy} wrote. */
export interface BackupCopy {
  /** How the copy was taken: `backup-api` or `file-under-read-lock` on SQLite, `pg_dump` on PostgreSQL. */
  method: string;
  /** The highest applied version in the copy's `mfmig_history` (0 without one), read from the copy's own snapshot. */
  version: number;
  /** What the copy holds: the database file on SQLite, the schemas of the dump on PostgreSQL. */
  holds: string[];
  sizeBytes: number;
  /** The program that wrote it (`pg_dump`, version `15.19`), or null when the driver did. */
  tool: { name: string; version: string } | null;
  /** Said to the user, never fatal: a `pg_dump` older than the server, say. */
  warnings: string[];
}

/** What {@link DialectBackupHooks.check} found. */
export interface BackupCheck {
  ok: boolean;
  /** `ok`, or what is wrong with the copy, in a sentence. */
  result: string;
  /** The archive's table of contents (`pg_restore --list`); empty for a SQLite file, whose check is SQLite's own. */
  entries: string[];
  /** What checked it: `integrity_check`, `quick_check` or `pg_restore --list`. */
  tool: string;
}

/** Options of {@link DialectBackupHooks.restore}. */
export interface BackupRestoreOptions {
  /** The sha256 the copy must have; checked on the bytes that replace the database (SQLite). */
  expectedSha256?: string;
  /** SQLite: keep the replaced file at this path instead of discarding it. */
  saveAsideTo?: string;
  /**
   * Called once the restore holds the application's writers and before anything is replaced
   * (PostgreSQL: a dump of the schema taken here holds every committed row). A throw stops the
   * restore, nothing replaced.
   */
  whileHeld?: () => Promise<void>;
  /** How long the restore waits for a table lock, and how often it tries again (PostgreSQL; default core's `DEFAULT_LOCK_WAIT`). */
  lockWait?: Partial<LockWaitPolicy>;
  onProgress?: (progress: OperationProgress) => void;
}

/**
 * How a dialect copies what mfmig works on, checks a copy, and puts one back: the hooks the
 * rollback package's backups, restores and checkpoints are built on, and what another dialect
 * supplies to get them. On SQLite the unit is the database file; on PostgreSQL the connection's
 * schema (plus `alsoSchemas`), copied with `pg_dump -Fc` and put back with `pg_restore` when the
 * PostgreSQL client tools are installed (a one-line `BACKUP_FAILED` or `RESTORE_FAILED` names the
 * missing program otherwise).
 *
 * @example
 * const copy = await connection.backup.copy('./backups/before-release.bak');
 * if ((await connection.backup.check('./backups/before-release.bak')).ok) console.log(`version ${copy.version} kept`);
 */
export interface DialectBackupHooks {
  readonly format: BackupFormatName;
  /**
   * Writes one consistent copy to `file` (which must not exist) while the application keeps
   * writing: SQLite's online backup or a file copy reconciled under a short read lock; on
   * PostgreSQL one `pg_dump` snapshot, `mfmig_lock` left out. `BACKUP_FAILED` when it cannot.
   */
  copy(file: string, options?: BackupCopyOptions): Promise<BackupCopy>;
  /** Reads a copy without restoring it or touching the database; never throws for a bad copy. */
  check(file: string, options?: { level?: 'quick' | 'full' }): Promise<BackupCheck>;
  /**
   * Replaces what mfmig works on with the copy in `file`, all of it or nothing (`RESTORE_FAILED`,
   * nothing replaced). The caller checks first that the copy is the one it means (its manifest,
   * its owner) and holds mfmig's run lock. On SQLite the file is replaced atomically, so this
   * connection is closed first: open a new one afterwards. On PostgreSQL one transaction holds the
   * schema's writers, empties it and runs pg_restore's script; the connection stays open.
   */
  restore(file: string, options?: BackupRestoreOptions): Promise<void>;
}
