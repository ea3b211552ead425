import { Argument, type Command } from 'commander';
import { MfmigError } from '@mfmig/core';
import { EMERGENCY_TYPES, type EmergencyType, type RollbackManager } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { failWith, withRepairService } from './rollback-service.js';

/**
 * `mfmig emergency-rollback <corruption|failed-migration|data-loss|performance>`. On a database
 * that is sound (it opens, `quick_check` passes, no migration failed or stopped part-way) every
 * type asks first, and needs `--yes` without a terminal: refused with `RISK_NOT_ACCEPTED`
 * (exit 3) and nothing touched otherwise.
 */
export function registerEmergencyRollback(program: Command, cli: CliRuntime): void {
  program
    .command('emergency-rollback')
    .description('the fastest safe path back to the last verified good state (works when the database cannot be opened; a sound database needs --yes)')
    .addArgument(new Argument('<type>', 'what went wrong').choices(EMERGENCY_TYPES))
    .action(async (type: EmergencyType) => {
      await withRepairService(cli, { loadModules: true }, async (manager) => {
        const sound = await soundState(manager);
        if (sound && !(await cli.out.confirm(`The database looks sound (${sound}). Run emergency-rollback ${type} anyway?`))) {
          throw new MfmigError(
            'RISK_NOT_ACCEPTED',
            `The database looks sound (${sound}); emergency-rollback ${type} would still revert or replace it, so nothing was done; rerun with --yes to do it anyway`,
          );
        }
        const result = await manager.executeEmergencyRollback(type);
        cli.out.result(result, () => {
          for (const action of result.actionsPerformed) cli.out.line(`- ${action}`);
          cli.out.line(
            `${result.success ? 'Done' : 'Failed'}: the database is at version ${result.restoredToVersion ?? 'unknown'}${result.backupUsed ? ` (backup ${result.backupUsed.id})` : ''}`,
          );
          if (result.savedAside) cli.out.line(`The replaced file is kept as ${result.savedAside}`);
          if (result.emergencyContacts.length > 0) cli.out.line(`Emergency contacts: ${result.emergencyContacts.join(', ')}`);
        });
        if (!result.success) failWith(cli, result.error ?? new MfmigError('ROLLBACK_FAILED', 'The emergency rollback did not finish'));
      });
    });
}

/**
 * Why the database counts as sound (a phrase), or null when it does not: it opens, `quick_check`
 * passes, and no migration is recorded as failed or partly applied. Reads only.
 */
async function soundState(manager: RollbackManager): Promise<string | null> {
  try {
    if (manager.context.adapter.checkIntegrity('quick', 1).length > 0) return null;
    const status = (await manager.context.migrator()).status();
    if (status.problems.some((p) => p.code === 'PARTIAL' || p.code === 'MIGRATION_FAILED')) return null;
    return `quick_check ok, version ${status.currentVersion}, no failed or partly applied migration`;
  } catch {
    // it cannot be opened or read: the emergency is real
    return null;
  }
}
