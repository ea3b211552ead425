import { MfmigError } from '@mfmig/core';
import type { EmergencyRollbackResult, EmergencyType } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { failWith } from './rollback-service.js';

/**
 * Asks before an emergency rollback of a database that looks sound (`sound` says why, null when
 * it does not): `--yes` answers, and without a terminal the answer is no, refused with
 * `RISK_NOT_ACCEPTED` (exit 3) before anything is touched.
 *
 * @example
 * await confirmEmergency(cli, 'performance', 'quick_check ok, version 4, no failed or partly applied migration');
 */
export async function confirmEmergency(cli: CliRuntime, type: EmergencyType, sound: string | null): Promise<void> {
  if (!sound || (await cli.out.confirm(`The database looks sound (${sound}). Run emergency-rollback ${type} anyway?`))) return;
  throw new MfmigError(
    'RISK_NOT_ACCEPTED',
    `The database looks sound (${sound}); emergency-rollback ${type} would still revert or replace it, so nothing was done; rerun with --yes to do it anyway`,
  );
}

/**
 * Prints what an emergency rollback did (the result itself with `--json`), and on failure its
 * error on one line with its exit code. `keptAs` introduces `savedAside` in the text.
 *
 * @example
 * reportEmergency(cli, result, 'The replaced file is kept as');
 */
export function reportEmergency(cli: CliRuntime, result: EmergencyRollbackResult, keptAs: string): void {
  cli.out.result(result, () => {
    for (const action of result.actionsPerformed) cli.out.line(`- ${action}`);
    cli.out.line(
      `${result.success ? 'Done' : 'Failed'}: the database is at version ${result.restoredToVersion ?? 'unknown'}${result.backupUsed ? ` (backup ${result.backupUsed.id})` : ''}`,
    );
    if (result.savedAside) cli.out.line(`${keptAs} ${result.savedAside}`);
    if (result.emergencyContacts.length > 0) cli.out.line(`Emergency contacts: ${result.emergencyContacts.join(', ')}`);
  });
  if (!result.success) failWith(cli, result.error ?? new MfmigError('ROLLBACK_FAILED', 'The emergency rollback did not finish'));
}
