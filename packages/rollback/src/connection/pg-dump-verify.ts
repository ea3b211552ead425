import { MfmigError, type PgTools, checkPgArchive, regularFileProblem, sha256File } from '@mfmig/core';
import type { PgDumpBackup } from './pg-dump-registry.js';

/**
 * Checks a pg_dump backup without touching any database: its dump is a regular file of the
 * recorded size (never a link or a FIFO), its sha256 is the manifest's, and `pg_restore --list`
 * reads it. Anything else is a one-line `BACKUP_INVALID` ending in "nothing was restored".
 *
 * @example
 * await verifyPgDumpBackup(await findPgTools(), findPgDumpBackup('./backups/postgres', id));
 */
export async function verifyPgDumpBackup(tools: PgTools, backup: PgDumpBackup, onProgress?: (message: string) => void): Promise<void> {
  const problem = regularFileProblem(backup.path, { expectedSize: backup.sizeBytes });
  if (problem !== null)
    throw new MfmigError('BACKUP_INVALID', `Backup ${backup.id}: ${backup.path} ${problem}; nothing was restored`, { context: { file: backup.path } });
  onProgress?.('checking sha256');
  if (sha256File(backup.path, { followSymlinks: false, expectedSize: backup.sizeBytes }) !== backup.sha256) {
    throw new MfmigError('BACKUP_INVALID', `Backup ${backup.id} is damaged: its sha256 differs from its manifest; nothing was restored`, {
      context: { file: backup.path },
    });
  }
  const listed = await checkPgArchive(tools, backup.path);
  if (!listed.ok) throw new MfmigError('BACKUP_INVALID', listed.result, { context: { file: backup.path } });
}
