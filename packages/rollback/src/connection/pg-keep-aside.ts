import { type DialectConnection, MfmigError, messageOf } from '@mfmig/core';
import { createPgDumpBackup } from './pg-dump-backup.js';
import type { PgDumpBackup } from './pg-dump-registry.js';

/** Options of {@link keepPgSchemaAside}. */
export interface PgKeepAsideOptions {
  /** The URL `conn` was opened with, for the manifest's host and port; default: the connection's own. */
  url?: string;
  schema: string;
  folder: string;
  /** Why the schema is replaced (`pre-restore`, `data-loss`, ...): the manifest's `savedAside`. */
  reason: string;
  /** The backup about to replace the schema, named in the error when the dump cannot be taken. */
  replacedBy: string;
}

/**
 * Dumps a schema about to be replaced by a restore, as a backup marked `savedAside` (never a
 * candidate for an emergency rollback; `mfmig restore <id>` brings it back). When the dump cannot
 * be taken, `BACKUP_FAILED` says so and that nothing was restored: a restore must not go on
 * without the copy it promised.
 *
 * @example
 * const aside = await keepPgSchemaAside(conn, { url, schema: 'public', folder, reason: 'pre-restore', replacedBy: backup.id });
 */
export async function keepPgSchemaAside(conn: DialectConnection, options: PgKeepAsideOptions): Promise<PgDumpBackup> {
  try {
    return await createPgDumpBackup(conn, {
      ...(options.url === undefined ? {} : { url: options.url }),
      schema: options.schema,
      folder: options.folder,
      label: `saved aside: ${options.reason}`,
      savedAside: options.reason,
    });
  } catch (error) {
    throw new MfmigError(
      'BACKUP_FAILED',
      `The schema could not be kept aside before restoring (${messageOf(error)}), so nothing was restored; \`mfmig restore ${options.replacedBy} --no-save-aside\` restores without keeping it`,
      { cause: error },
    );
  }
}
