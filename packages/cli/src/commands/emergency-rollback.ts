import type { Command } from 'commander';
import { MfmigError } from '@mfmig/core';
import { EMERGENCY_TYPES, type EmergencyType } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { failWith, rollbackServiceForRepair } from './rollback-service.js';

/** `mfmig emergency-rollback <corruption|failed-migration|data-loss|performance>`. */
export function registerEmergencyRollback(program: Command, cli: CliRuntime): void {
  program
    .command('emergency-rollback')
    .description('the fastest safe path back to the last verified good state (works when the database cannot be opened)')
    .argument('<type>', EMERGENCY_TYPES.join(' | '))
    .action(async (type: string) => {
      if (!EMERGENCY_TYPES.includes(type as EmergencyType)) {
        throw new MfmigError('USAGE', `Unknown emergency type "${type}"; use one of ${EMERGENCY_TYPES.join(', ')}`);
      }
      const manager = rollbackServiceForRepair(cli, { loadModules: true });
      try {
        const result = await manager.executeEmergencyRollback(type as EmergencyType);
        cli.out.result(result, () => {
          for (const action of result.actionsPerformed) cli.out.line(`- ${action}`);
          cli.out.line(`${result.success ? 'Done' : 'Failed'}: the database is at version ${result.restoredToVersion ?? 'unknown'}${result.backupUsed ? ` (backup ${result.backupUsed.id})` : ''}`);
          if (result.savedAside) cli.out.line(`The replaced file is kept as ${result.savedAside}`);
          if (result.emergencyContacts.length > 0) cli.out.line(`Emergency contacts: ${result.emergencyContacts.join(', ')}`);
        });
        if (!result.success) failWith(cli, result.error ?? new MfmigError('ROLLBACK_FAILED', 'The emergency rollback did not finish'));
      } finally {
        manager.close();
      }
    });
}
