import { type DownTarget, downTargetVersion, resolveTargetVersion } from '@mfmig/core';
import { type PgDumpBackup, type RollbackCapability, listPgDumpBackups, pgDatabaseIdentity, rollbackCapabilityOf } from '@mfmig/rollback';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';

/**
 * `validateRollbackCapability` on PostgreSQL, with SQLite's verdict (`rollbackCapabilityOf`): the
 * applied versions above the target each need a down and nothing that blocks it (an irreversible
 * transformation, a missing file); else the newest verified `pg_dump` of this schema taken at the
 * target version is the way back (`method: 'full-restore'`, see `restoreBackup`). Dumps kept aside
 * by a restore are listed, never chosen. A target above the current version is a blocker, as on
 * SQLite. Reads only, on a read-only session.
 *
 * @example
 * const capability = await postgresRollbackCapability(framework.context, { mvp: 2 });
 * if (!capability.canRollback) console.log(capability.blockers);
 */
export async function postgresRollbackCapability(ctx: PostgresFrameworkContext, target: number | DownTarget): Promise<RollbackCapability<PgDumpBackup>> {
  const migrations = await ctx.migrations('import');
  return ctx.session('read', async (conn) => {
    const status = await ctx.runner(conn, migrations, { preserve: false }).status();
    const down = typeof target === 'number' ? { version: target } : target;
    const targetVersion = 'steps' in down ? downTargetVersion(migrations, status, down) : resolveTargetVersion(migrations, down);
    const backups = listPgDumpBackups(ctx.backupFolder, await pgDatabaseIdentity(conn, ctx.url, conn.schema)).reverse();
    const atTarget = backups.find((b) => b.verified !== null && !b.savedAside && b.version === targetVersion) ?? null;
    return rollbackCapabilityOf({ status, migrations, targetVersion, backups, atTarget, idOf: (b) => b.id });
  });
}
