import { type DialectConnection, type LockWaitPolicy, MfmigError, findPgTools, pgHistoryVersion } from '@mfmig/core';
import { type PgDumpBackup, assertConnectionSchema, describePgDatabase, findPgDumpBackup, pgDatabaseIdentity, sameDatabase } from './pg-dump-registry.js';
import { verifyPgDumpBackup } from './pg-dump-verify.js';
import { keepPgSchemaAside } from './pg-keep-aside.js';

/** Options of {@link restorePgDumpBackup}. */
export interface PgDumpRestoreOptions {
  /** The URL `conn` was opened with, for the host and port its identity is checked by; default: the connection's own. */
  url?: string;
  /** Default: the connection's current schema. */
  schema?: string;
  folder: string;
  id: string;
  /** Restore a backup of another database (or cluster) on purpose. */
  allowOtherDatabase?: boolean;
  /**
   * Dump the schema as it is before replacing it, as a backup marked `savedAside` with this reason
   * (`pre-restore`, ...); taken under mfmig's lock once the backup verified. A schema that does
   * not exist yet has nothing to keep. Without it, the replaced objects are gone.
   */
  saveAside?: string;
  /**
   * How long the restore waits for the schema's tables (`lock_timeout`), and how often it tries
   * again when a transaction holds one: default core's `DEFAULT_LOCK_WAIT`. The drops wait as long.
   */
  lockWait?: Partial<LockWaitPolicy>;
  onProgress?: (message: string) => void;
}

/** What a restore did. */
export interface PgDumpRestoreResult {
  backup: PgDumpBackup;
  restoredToVersion: number;
  /** The dump of the replaced schema, when `saveAside` asked for one and the schema existed. */
  savedAside: PgDumpBackup | null;
}

/**
 * Restores a pg_dump backup into the schema it was taken of, under mfmig's lock. The dump's sha256
 * and `pg_restore --list` are checked first, and a backup of another database (system identifier,
 * database name, schema) is refused with `BACKUP_OTHER_DATABASE` unless `allowOtherDatabase`.
 * Then one `psql` transaction holds the schema's writers, empties the schema and runs pg_restore's
 * script (see `openRestoreSession`); it commits only when pg_restore and every statement
 * succeeded. With `saveAside`, the schema is first dumped as it is, inside that hold, and nothing
 * is restored when that fails: every row the application committed is in the dump kept aside or
 * was in the schema before the backup, and none committed later goes with the replaced tables (an
 * application that writes meanwhile waits, then gets an error or writes into the restored table).
 * `mfmig_archive` is not restored: it holds the archives of every schema, and is left as it is.
 *
 * @example
 * const { restoredToVersion } = await restorePgDumpBackup(conn, { url, folder: './backups/postgres', id });
 */
export async function restorePgDumpBackup(conn: DialectConnection, options: PgDumpRestoreOptions): Promise<PgDumpRestoreResult> {
  if (conn.backup.format !== 'pg_dump-custom')
    throw new MfmigError('USAGE', `restorePgDumpBackup restores a PostgreSQL schema, not a ${conn.dialect} database`);
  const tools = await findPgTools({ code: 'RESTORE_FAILED' });
  const backup = findPgDumpBackup(options.folder, options.id);
  await verifyPgDumpBackup(tools, backup, options.onProgress);
  const here = await pgDatabaseIdentity(conn, options.url, options.schema);
  assertConnectionSchema(conn, here.schema);
  if (!sameDatabase(backup.database, here)) {
    if (!options.allowOtherDatabase) {
      throw new MfmigError(
        'BACKUP_OTHER_DATABASE',
        `Backup ${backup.id} belongs to ${describePgDatabase(backup.database)}, not to ${describePgDatabase(here)}; nothing was restored`,
        { context: { file: backup.path } },
      );
    }
    if (backup.database.schema !== here.schema) {
      throw new MfmigError(
        'USAGE',
        `Backup ${backup.id} is of schema ${backup.database.schema}; a pg_dump backup restores into a schema of that name only (--schema)`,
      );
    }
  }
  const existed = (await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [here.schema])).length > 0;
  await conn.lock.acquire({ timeoutMs: 10_000, command: 'mfmig restore' });
  let savedAside: PgDumpBackup | null = null;
  try {
    options.onProgress?.(`holding the writers of schema ${here.schema}`);
    await conn.backup.restore(backup.path, {
      ...(options.lockWait === undefined ? {} : { lockWait: options.lockWait }),
      whileHeld: async () => {
        if (options.saveAside !== undefined && existed) {
          options.onProgress?.(`keeping schema ${here.schema} aside with pg_dump`);
          savedAside = await keepPgSchemaAside(conn, {
            ...(options.url === undefined ? {} : { url: options.url }),
            schema: here.schema,
            folder: options.folder,
            reason: options.saveAside,
            replacedBy: backup.id,
          });
        }
        options.onProgress?.(`restoring ${backup.id} into schema ${here.schema}`);
      },
    });
  } finally {
    await conn.lock.release();
  }
  return { backup, restoredToVersion: await pgHistoryVersion(conn, here.schema), savedAside };
}
