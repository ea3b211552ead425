import { type DialectConnection, type LockWaitPolicy, MfmigError, findPgTools, isMfmigError, quoteIdentifier, requirePsql } from '@mfmig/core';
import { type PgDumpBackup, describePgDatabase, listPgDumpBackups, pgDatabaseIdentity } from './pg-dump-registry.js';
import { restorePgDumpBackup } from './pg-dump-restore.js';
import { verifyPgDumpBackup } from './pg-dump-verify.js';

/** Options of {@link restoreNewestPgDumpBackup}. */
export interface NewestPgDumpRestoreOptions {
  /** The URL `conn` was opened with. */
  url: string;
  schema: string;
  /** The pg_dump backup folder. */
  folder: string;
  /** Only these backups (by id) are candidates, instead of every backup of the schema. */
  only?: string[];
  /**
   * Dump the schema as it is before replacing it, marked `savedAside` with this reason; taken once
   * a backup verified, so that nothing is written when none does.
   */
  saveAside?: string;
  /** Each step, as one line (an emergency rollback's `actionsPerformed`). */
  onAction: (line: string) => void;
  /** The restore's lock waits (see `PgDumpRestoreOptions.lockWait`). */
  lockWait?: Partial<LockWaitPolicy>;
}

/** What {@link restoreNewestPgDumpBackup} did. */
export interface NewestPgDumpRestoreResult {
  backup: PgDumpBackup;
  restoredToVersion: number;
  /** The dump of the replaced schema, when `saveAside` asked for one. */
  savedAside: PgDumpBackup | null;
}

/**
 * Restores the newest pg_dump backup of this database and schema that verifies (regular file,
 * sha256, `pg_restore --list`), newest first, passing over the ones that do not; a backup of
 * another database, or a dump kept aside by an earlier emergency, is never a candidate. When no
 * backup verifies, `BACKUP_INVALID` and nothing was written anywhere. A schema dropped whole has
 * nothing to keep aside: it is created again to restore into.
 *
 * @example
 * const { backup, savedAside } = await restoreNewestPgDumpBackup(conn, { url, schema: 'public', folder, saveAside: 'data-loss', onAction: console.log });
 */
export async function restoreNewestPgDumpBackup(conn: DialectConnection, options: NewestPgDumpRestoreOptions): Promise<NewestPgDumpRestoreResult> {
  const tools = await findPgTools({ conn, code: 'RESTORE_FAILED' });
  requirePsql(tools, 'RESTORE_FAILED');
  const here = await pgDatabaseIdentity(conn, options.url, options.schema);
  const candidates = listPgDumpBackups(options.folder, here).filter((b) => b.savedAside === undefined && (!options.only || options.only.includes(b.id)));
  for (const backup of [...candidates].reverse()) {
    try {
      await verifyPgDumpBackup(tools, backup);
    } catch (error) {
      if (!isMfmigError(error) || error.code !== 'BACKUP_INVALID') throw error;
      options.onAction(`skipped backup ${backup.id}: ${error.message}`);
      continue;
    }
    options.onAction(`verified backup ${backup.id} (version ${backup.version}, ${backup.createdAt}): sha256 and pg_restore --list ok`);
    const exists = (await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [here.schema])).length > 0;
    if (!exists) {
      // the restore takes mfmig's lock, whose row lives in the schema
      await conn.execute(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(here.schema)}`);
      options.onAction(`schema ${here.schema} did not exist (nothing to keep aside): created it to restore into`);
    }
    const restored = await restorePgDumpBackup(conn, {
      url: options.url,
      schema: here.schema,
      folder: options.folder,
      id: backup.id,
      ...(options.saveAside !== undefined && exists ? { saveAside: options.saveAside } : {}),
      ...(options.lockWait ? { lockWait: options.lockWait } : {}),
    });
    const aside = restored.savedAside;
    if (aside) options.onAction(`kept the schema as it was in backup ${aside.id} (${aside.path}); \`mfmig restore ${aside.id}\` brings it back`);
    options.onAction(`restored backup ${backup.id} into ${describePgDatabase(here)}: version ${restored.restoredToVersion}`);
    return { backup, restoredToVersion: restored.restoredToVersion, savedAside: aside };
  }
  throw new MfmigError(
    'BACKUP_INVALID',
    `No pg_dump backup of ${describePgDatabase(here)} in ${options.folder} verifies (${candidates.length} checked); the schema was left as it is`,
  );
}
