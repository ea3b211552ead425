import { type LockWaitPolicy, readEnvironment } from '@mfmig/core';
import { type EmergencyType, executePostgresEmergencyRollback, soundPostgresSchema } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { confirmEmergency, reportEmergency } from '../commands/emergency-output.js';
import { settle } from '../commands/settle.js';
import { pgBackupFolder } from './postgres-backup.js';
import { migrator, open } from './postgres-commands.js';

/**
 * `mfmig --db postgres://... emergency-rollback <type>`: asks first when the schema is sound
 * (`soundPostgresSchema`; `--yes` answers, and without a terminal the answer is no), then runs
 * `executePostgresEmergencyRollback` with the backup folder's pg_dump backups, preservation on and
 * `lockWait` (`--ddl-lock-timeout`, `--ddl-retries`) for its restores and downs, and prints its result.
 *
 * @example
 * await emergencyRollbackPostgres(cli, 'data-loss');
 */
export async function emergencyRollbackPostgres(cli: CliRuntime, type: EmergencyType, lockWait: Partial<LockWaitPolicy> = {}): Promise<void> {
  const conn = await open(cli, { createSchema: false });
  try {
    const m = await migrator(cli, conn, { loadModules: type === 'failed-migration' || type === 'performance', preserve: true, lockWait });
    await confirmEmergency(cli, type, await soundPostgresSchema(conn, m));
    const settings = emergencySettings(cli);
    const run = executePostgresEmergencyRollback(cli.globals.db, conn, m, type, { folder: pgBackupFolder(cli), ...settings, lockWait, signal: cli.signal });
    reportEmergency(cli, await settle(run), 'The replaced schema is kept in pg_dump backup');
  } finally {
    await conn.close();
  }
}

/** The emergency settings: `EMERGENCY_CONTACTS` and `ROLLBACK_SAFETY_CHECKS` beat the config file. */
function emergencySettings(cli: CliRuntime): { contacts: string[]; safetyChecks: boolean } {
  const env = readEnvironment({ EMERGENCY_CONTACTS: process.env.EMERGENCY_CONTACTS, ROLLBACK_SAFETY_CHECKS: process.env.ROLLBACK_SAFETY_CHECKS });
  const config = cli.settings.framework;
  return { contacts: env.emergencyContacts ?? config.emergencyContacts ?? [], safetyChecks: env.rollbackSafetyChecks ?? config.rollbackSafetyChecks ?? true };
}
