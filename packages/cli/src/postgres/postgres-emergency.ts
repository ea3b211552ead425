import { type DialectMigrator, MfmigError, type PostgresConnection, messageOf, readEnvironment } from '@mfmig/core';
import {
  type BackupSummary,
  type EmergencyRollbackResult,
  type EmergencyType,
  type PgDumpBackup,
  findPgDumpBackup,
  listPgCheckpoints,
  restoreNewestPgDumpBackup,
} from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { confirmEmergency, reportEmergency } from '../commands/emergency-output.js';
import { pgBackupFolder } from './postgres-backup.js';
import { migrator, open } from './postgres-commands.js';
import { schemaDamage } from './postgres-damage.js';
import { revertLastPostgresRun } from './postgres-last-run.js';

/**
 * `mfmig --db postgres://... emergency-rollback <type>`, the PostgreSQL form of
 * `executeEmergencyRollback`, with the same result:
 * - `corruption`: when the catalog checks find damage (see `schemaDamage`: invalid indexes,
 *   foreign-key orphans, sequences behind, a check that cannot run), dumps the schema aside and
 *   restores the newest verified pg_dump backup; with `rollbackSafetyChecks` on, a schema without
 *   damage is refused (`RISK_NOT_ACCEPTED`);
 * - `failed-migration`, `performance`: reverts the last run by its downs (dropped rows archived),
 *   or restores its checkpoint when they fail (see `revertLastPostgresRun`);
 * - `data-loss`: dumps the schema aside (`savedAside` is that backup's id), then restores the
 *   newest verified pg_dump backup.
 * Only this database's and schema's backups are candidates; a backup is verified (sha256,
 * `pg_restore --list`) before anything is written. A sound schema (no damage, no failed or partly
 * applied migration) needs `--yes` without a terminal.
 *
 * @example
 * await emergencyRollbackPostgres(cli, 'data-loss');
 */
export async function emergencyRollbackPostgres(cli: CliRuntime, type: EmergencyType): Promise<void> {
  const conn = await open(cli, { createSchema: false });
  try {
    const m = await migrator(cli, conn, { loadModules: type === 'failed-migration' || type === 'performance', preserve: true });
    await confirmEmergency(cli, type, await soundSchema(conn, m));
    const result = await runEmergency(cli, conn, m, type);
    reportEmergency(cli, result, 'The replaced schema is kept in pg_dump backup');
  } finally {
    await conn.close();
  }
}

async function runEmergency(cli: CliRuntime, conn: PostgresConnection, m: DialectMigrator, type: EmergencyType): Promise<EmergencyRollbackResult> {
  const started = performance.now();
  const settings = emergencySettings(cli);
  const result: EmergencyRollbackResult = {
    type,
    success: false,
    actionsPerformed: [],
    restoredToVersion: null,
    emergencyContacts: settings.contacts,
    backupUsed: null,
    savedAside: null,
    durationMs: 0,
  };
  const actions = result.actionsPerformed;
  try {
    if (type === 'corruption') await restoreNewest(cli, conn, m, result, await damageOrRefuse(conn, settings.safetyChecks, actions));
    else if (type === 'data-loss') await restoreNewest(cli, conn, m, result, 'the live schema');
    else {
      const checkpoint = await revertLastPostgresRun(cli, conn, m, type, actions);
      if (checkpoint) result.backupUsed = summarise(cli, m, findPgDumpBackup(pgBackupFolder(cli), checkpoint.backupId));
    }
    result.success = true;
  } catch (error) {
    result.error = error as Error;
    actions.push(`stopped: ${messageOf(error)}`);
  }
  const after = await schemaDamage(conn);
  actions.push(`checked the schema: catalog checks ${after.damage.length === 0 ? 'ok' : after.damage.join('; ')}`);
  result.restoredToVersion = await m.status().then(
    (s) => s.currentVersion,
    () => null,
  );
  result.durationMs = performance.now() - started;
  return result;
}

/** `corruption`: what is damaged, as a phrase; refused when nothing is and the safety checks are on. */
async function damageOrRefuse(conn: PostgresConnection, safetyChecks: boolean, actions: string[]): Promise<string> {
  const { damage, notes } = await schemaDamage(conn);
  actions.push(`checked the schema: ${damage.length === 0 ? 'no damage found' : damage.join('; ')}`);
  for (const note of notes) actions.push(`not counted as damage: ${note}`);
  if (damage.length === 0 && safetyChecks) {
    throw new MfmigError(
      'RISK_NOT_ACCEPTED',
      'The schema passes the catalog checks: nothing was restored (use `data-loss` to go back to the last backup anyway, or turn ROLLBACK_SAFETY_CHECKS off)',
    );
  }
  return damage.length === 0 ? 'the live schema' : 'the damaged schema';
}

/** Keeps the schema aside, restores the newest verified backup, and records it in the audit log. */
async function restoreNewest(cli: CliRuntime, conn: PostgresConnection, m: DialectMigrator, result: EmergencyRollbackResult, what: string): Promise<void> {
  const restored = await restoreNewestPgDumpBackup(conn, {
    url: cli.globals.db,
    schema: conn.schema,
    folder: pgBackupFolder(cli),
    saveAside: `${what}, before emergency-rollback ${result.type}`,
    onAction: (line) => result.actionsPerformed.push(line),
  });
  result.backupUsed = summarise(cli, m, restored.backup);
  result.savedAside = restored.savedAside?.id ?? null;
  if (await conn.history.exists()) {
    const aside = restored.savedAside ? `; the replaced schema kept as pg_dump backup ${restored.savedAside.id}` : '';
    await conn.history.audit('restore', restored.restoredToVersion, `emergency-rollback ${result.type}: pg_dump backup ${restored.backup.id}${aside}`);
  }
}

/**
 * Why the schema counts as sound (a phrase), or null when it does not: it exists, the catalog
 * checks find no damage, and no migration is recorded as failed, partly applied or left applied
 * by a failed run. Reads only.
 */
async function soundSchema(conn: PostgresConnection, m: DialectMigrator): Promise<string | null> {
  try {
    if ((await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [conn.schema])).length === 0) return null;
    if ((await schemaDamage(conn)).damage.length > 0) return null;
    const status = await m.status();
    if (status.problems.some((p) => p.code === 'PARTIAL' || p.code === 'MIGRATION_FAILED' || p.code === 'RUN_NOT_REVERTED')) return null;
    return `catalog checks ok, version ${status.currentVersion}, no failed or partly applied migration`;
  } catch {
    // it cannot be read: the emergency is real
    return null;
  }
}

/** The emergency settings: `EMERGENCY_CONTACTS` and `ROLLBACK_SAFETY_CHECKS` beat the config file. */
function emergencySettings(cli: CliRuntime): { contacts: string[]; safetyChecks: boolean } {
  const env = readEnvironment({ EMERGENCY_CONTACTS: process.env.EMERGENCY_CONTACTS, ROLLBACK_SAFETY_CHECKS: process.env.ROLLBACK_SAFETY_CHECKS });
  const config = cli.settings.framework;
  return { contacts: env.emergencyContacts ?? config.emergencyContacts ?? [], safetyChecks: env.rollbackSafetyChecks ?? config.rollbackSafetyChecks ?? true };
}

/** A pg_dump backup as the result's `backupUsed` shows it (a backup of a checkpoint is of kind `checkpoint`). */
function summarise(cli: CliRuntime, m: DialectMigrator, backup: PgDumpBackup): BackupSummary {
  const checkpoint = listPgCheckpoints(pgBackupFolder(cli)).some((c) => c.backupId === backup.id);
  const { id, path, createdAt, version, sizeBytes, sha256 } = backup;
  return {
    id,
    path,
    kind: checkpoint ? 'checkpoint' : 'manual',
    createdAt,
    version,
    milestone: m.migrations.byVersion.get(version)?.mvp ?? 0,
    sizeBytes,
    sha256,
    verified: true,
  };
}
