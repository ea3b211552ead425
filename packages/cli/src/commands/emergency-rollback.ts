import { Argument, type Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import { EMERGENCY_TYPES, type EmergencyType, type RollbackManager } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { settle } from './settle.js';
import { emergencyRollbackPostgres } from '../postgres/postgres-emergency.js';
import { confirmEmergency, reportEmergency } from './emergency-output.js';
import { withRepairService } from './rollback-service.js';
import { type LockWaitOptions, addLockWaitOptions, lockWaitFrom } from './lock-wait-options.js';

/**
 * `mfmig emergency-rollback <corruption|failed-migration|data-loss|performance>`. On a database
 * that is sound (it opens, `quick_check` passes, no migration failed or stopped part-way) every
 * type asks first, and needs `--yes` without a terminal: refused with `RISK_NOT_ACCEPTED`
 * (exit 3) and nothing touched otherwise. On a PostgreSQL URL, `emergencyRollbackPostgres`
 * (the catalog checks stand for `quick_check`, pg_dump backups for backup files).
 */
export function registerEmergencyRollback(program: Command, cli: CliRuntime): void {
  const command = program
    .command('emergency-rollback')
    .description(
      'the fastest safe path back to the last verified good state (works when the database cannot be opened; a sound database needs --yes; on PostgreSQL, pg_dump backups and the catalog checks)',
    )
    .addArgument(new Argument('<type>', 'what went wrong').choices(EMERGENCY_TYPES));
  addLockWaitOptions(command, 'the restore or the downs').action(async (type: EmergencyType, options: LockWaitOptions) => {
    if (isPostgresUrl(cli.globals.db)) return emergencyRollbackPostgres(cli, type, lockWaitFrom(options));
    await withRepairService(cli, { loadModules: true }, async (manager) => {
      await confirmEmergency(cli, type, await soundState(manager));
      const result = await settle(manager.executeEmergencyRollback(type));
      reportEmergency(cli, result, 'The replaced file is kept as');
    });
  });
}

/**
 * Why the database counts as sound (a phrase), or null when it does not: it opens, `quick_check`
 * passes, and no migration is recorded as failed or partly applied. Reads only.
 */
async function soundState(manager: RollbackManager): Promise<string | null> {
  try {
    if ((await manager.context.connection.checkIntegrity('quick', 1)).length > 0) return null;
    const status = (await manager.context.migrator()).status();
    if (status.problems.some((p) => p.code === 'PARTIAL' || p.code === 'MIGRATION_FAILED')) return null;
    return `quick_check ok, version ${status.currentVersion}, no failed or partly applied migration`;
  } catch {
    // it cannot be opened or read: the emergency is real
    return null;
  }
}
