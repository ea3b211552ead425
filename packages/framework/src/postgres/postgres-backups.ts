import { readEnvironment } from '@mfmig/core';
import {
  type EmergencyRollbackResult,
  type EmergencyType,
  type PgDumpBackup,
  createPgDumpBackup,
  executePostgresEmergencyRollback,
  type PgDumpRestoreResult,
  listPgDumpBackups,
  pgDatabaseIdentity,
  restorePgDumpBackup,
} from '@mfmig/rollback';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';

/**
 * A verified `pg_dump -Fc` of the framework's schema (and its archives) in `<backupPath>/postgres`,
 * with its manifest (what `mfmig backup` takes). `BACKUP_FAILED` when the client tools are missing
 * or older than the server.
 *
 * @example
 * const backup = await createPostgresBackup(framework.context, { label: 'before the release' });
 */
export function createPostgresBackup(
  ctx: PostgresFrameworkContext,
  options: { label?: string; verify?: boolean } = {},
): Promise<PgDumpBackup & { warnings: string[] }> {
  return ctx.session('plain', (conn) =>
    createPgDumpBackup(conn, {
      url: ctx.url,
      schema: conn.schema,
      folder: ctx.backupFolder,
      ...(options.label === undefined ? {} : { label: options.label }),
      ...(options.verify === undefined ? {} : { verify: options.verify }),
    }),
  );
}

/** The `pg_dump` backups of this database's schema in the backup folder, oldest first (other schemas' are left out). */
export function listPostgresBackups(ctx: PostgresFrameworkContext): Promise<PgDumpBackup[]> {
  return ctx.session('read', async (conn) => listPgDumpBackups(ctx.backupFolder, await pgDatabaseIdentity(conn, ctx.url, conn.schema)));
}

/**
 * `executeEmergencyRollback` on PostgreSQL (see `executePostgresEmergencyRollback`): `corruption`
 * and `data-loss` restore the newest verified backup of this schema (the replaced schema dumped
 * aside), `failed-migration` and `performance` revert the last run by its downs, archiving what
 * they drop, or restore its checkpoint. Contacts and safety checks come from the config, then
 * `EMERGENCY_CONTACTS` and `ROLLBACK_SAFETY_CHECKS`. A stop throws with the result as `result`.
 *
 * @example
 * const r = await executePostgresEmergency(framework.context, 'data-loss');
 * r.actionsPerformed; r.restoredToVersion; r.emergencyContacts;
 */
export async function executePostgresEmergency(
  ctx: PostgresFrameworkContext,
  type: EmergencyType,
  options: { signal?: AbortSignal } = {},
): Promise<EmergencyRollbackResult> {
  const migrations = await ctx.migrations('import');
  const env = readEnvironment();
  return ctx.session('plain', (conn) =>
    executePostgresEmergencyRollback(ctx.url, conn, ctx.runner(conn, migrations, { preserve: true }), type, {
      folder: ctx.backupFolder,
      contacts: ctx.config.emergencyContacts ?? env.emergencyContacts ?? [],
      safetyChecks: ctx.config.rollbackSafetyChecks ?? env.rollbackSafetyChecks ?? true,
      ...(ctx.config.lockWait ? { lockWait: ctx.config.lockWait } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
}

/**
 * Restores one `pg_dump` backup of this schema (its id, or its manifest) over the schema, as
 * `mfmig restore <id>` does (see `restorePgDumpBackup`): the dump is checked first, a backup of
 * another database or schema is refused (`BACKUP_OTHER_DATABASE`, unless `allowOtherDatabase`),
 * and the schema as it is is dumped aside first unless `saveAside: false`. The history's audit
 * records the restore.
 *
 * @example
 * const { restoredToVersion, savedAside } = await restorePostgresBackup(framework.context, backup.id);
 */
export function restorePostgresBackup(
  ctx: PostgresFrameworkContext,
  ref: string | PgDumpBackup,
  options: { saveAside?: boolean; allowOtherDatabase?: boolean } = {},
): Promise<PgDumpRestoreResult> {
  return ctx.session('run', async (conn) => {
    const result = await restorePgDumpBackup(conn, {
      url: ctx.url,
      schema: conn.schema,
      folder: ctx.backupFolder,
      id: typeof ref === 'string' ? ref : ref.id,
      allowOtherDatabase: options.allowOtherDatabase ?? false,
      ...(options.saveAside === false ? {} : { saveAside: 'pre-restore' }),
      ...(ctx.config.lockWait ? { lockWait: ctx.config.lockWait } : {}),
    });
    if (await conn.history.exists()) await conn.history.audit('restore', result.restoredToVersion, `pg_dump backup ${result.backup.id}`);
    return result;
  });
}
