import { existsSync, statSync } from 'node:fs';
import { MfmigError } from '../errors/mfmig-error.js';
import { fsyncFile } from '../files/durable-fs.js';
import type { BackupCheck, BackupCopy, BackupCopyOptions, BackupRestoreOptions, DialectBackupHooks } from '../dialect/backup-hooks.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { openDatabaseFile } from './open-database.js';
import { consistentCopy } from './sqlite-consistent-copy.js';
import { checkDatabaseFile } from './sqlite-file-check.js';
import { replaceDatabaseFile } from './sqlite-file-replace.js';

/**
 * SQLite's {@link DialectBackupHooks} for one connection's database file: a consistent copy that
 * finishes while the application writes (`consistentCopy`), SQLite's own integrity check of the
 * copy, and an atomic replacement of the file (`replaceDatabaseFile`).
 *
 * @example
 * const copy = await new SqliteBackupHooks(adapter).copy('./backups/kb-before-release.db');
 */
export class SqliteBackupHooks implements DialectBackupHooks {
  readonly format = 'sqlite-file' as const;
  readonly #adapter: DatabaseAdapter;

  constructor(adapter: DatabaseAdapter) {
    this.#adapter = adapter;
  }

  async copy(file: string, options: BackupCopyOptions = {}): Promise<BackupCopy> {
    if (existsSync(file)) throw new MfmigError('BACKUP_FAILED', `${file} already exists; a backup copy is never written over a file`);
    options.onStep?.(`copying ${this.#adapter.filePath}`);
    const method = await consistentCopy(this.#adapter, file, options);
    const version = detachCopy(file);
    fsyncFile(file);
    return { method, version, holds: [this.#adapter.filePath], sizeBytes: statSync(file).size, tool: null, warnings: [] };
  }

  async check(file: string, options: { level?: 'quick' | 'full' } = {}): Promise<BackupCheck> {
    const level = options.level ?? 'full';
    const found = checkDatabaseFile(file, level);
    return { ok: found.ok, result: found.result, entries: [], tool: level === 'quick' ? 'quick_check' : 'integrity_check' };
  }

  async restore(file: string, options: BackupRestoreOptions = {}): Promise<void> {
    const adapter = this.#adapter;
    if (adapter.isMemory) throw new MfmigError('USAGE', 'An in-memory database has no file to restore over');
    if (adapter.inTransaction) throw new MfmigError('RESTORE_FAILED', 'Cannot restore inside a transaction; nothing was replaced');
    await options.whileHeld?.();
    const livePath = adapter.filePath;
    // the file is replaced under no open connection of this process
    adapter.close();
    replaceDatabaseFile(file, livePath, {
      ...(options.expectedSha256 === undefined ? {} : { expectedSha256: options.expectedSha256 }),
      ...(options.saveAsideTo === undefined ? {} : { saveAsideTo: options.saveAsideTo }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
  }
}

/**
 * Makes the copy self-contained: rollback-journal mode (a WAL-mode copy would need -wal/-shm
 * files beside it to be opened) and no run-lock row (the copy of a locked database would
 * otherwise come back locked by this process after a restore). Returns the highest applied
 * version in its `mfmig_history` (0 without one).
 */
function detachCopy(file: string): number {
  const copy = openDatabaseFile(file);
  try {
    copy.setJournalMode('delete');
    if (copy.tableExists('mfmig_lock')) copy.run('DELETE FROM mfmig_lock');
    if (!copy.tableExists('mfmig_history')) return 0;
    return Number(copy.value("SELECT max(version) FROM mfmig_history WHERE status = 'applied'") ?? 0);
  } finally {
    copy.close();
  }
}
