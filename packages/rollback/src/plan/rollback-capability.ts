import { type DatabaseIdentity, type MigrationSet, type MigrationStatus, migrationLabel } from '@mfmig/core';
import { type LiveState, liveStatus } from '../live-state.js';
import { listBackups } from '../backup/backup-registry.js';
import { type RollbackTarget, resolveRollbackTarget } from './rollback-target.js';
import { type BackupSummary, summariseBackup } from './rollback-plan.js';
import { blockingReasons, irreversibleTransformations } from './step-analysis.js';

/** What `validateRollbackCapability` answers before anything runs. `B` is how a backup is described: SQLite's summary, or a PostgreSQL dump's manifest. */
export interface RollbackCapability<B = BackupSummary> {
  canRollback: boolean;
  currentVersion: number;
  targetVersion: number;
  /** How the rollback would be done: by running downs, or by restoring a backup. */
  method: 'down-migrations' | 'full-restore' | 'none';
  missingDownMigrations: { version: number; name: string; mvp: number }[];
  /** Migrations marked irreversible: their down runs, but loses what it cannot restore (preservation archives it). */
  irreversibleMigrations: { version: number; name: string; mvp: number }[];
  irreversibleTransformations: { version: number; migration: string; transformation: string }[];
  /** The database's verified and unverified backups in the backup folder, newest first. */
  backupsAvailable: B[];
  /** The newest verified backup taken exactly at the target version, for a full restore. */
  fullRestoreBackup: B | null;
  blockers: string[];
  warnings: string[];
}

/** What {@link rollbackCapabilityOf} judges: where the database is, its migrations, and its backups. */
export interface RollbackCapabilityInput<B> {
  status: MigrationStatus;
  migrations: MigrationSet;
  targetVersion: number;
  /** The database's backups, newest first. */
  backups: B[];
  /** The newest verified backup taken exactly at the target version, or null. */
  atTarget: B | null;
  /** How a backup is named in a warning. */
  idOf: (backup: B) => string;
}

/**
 * Answers whether the database can be rolled back to `target`, without running anything:
 * missing down migrations, irreversible migrations and transformations, and the backups there
 * of the database (`database`, see `backupBelongsTo`) there are to fall back on.
 *
 * @example
 * const capability = await validateRollbackCapability({ connection, migrations }, './backups', { mvp: 2 }, readDatabaseIdentity(connection));
 * if (!capability.canRollback) console.log(capability.blockers);
 */
export async function validateRollbackCapability(
  live: LiveState,
  backupPath: string,
  target: RollbackTarget,
  database: DatabaseIdentity,
): Promise<RollbackCapability> {
  const status = await liveStatus(live);
  const targetVersion = resolveRollbackTarget(live.migrations, status, target);
  const keep = status.applied
    .map((a) => a.version)
    .filter((v) => v <= targetVersion)
    .sort((a, b) => a - b)
    .join(',');
  const backups = listBackups(backupPath, { includeCheckpoints: true, database }).reverse();
  const atTarget = backups.find((b) => b.integrity.verified && b.version === targetVersion && [...b.appliedVersions].sort((x, y) => x - y).join(',') === keep);
  return rollbackCapabilityOf({
    status,
    migrations: live.migrations,
    targetVersion,
    backups: backups.map(summariseBackup),
    atTarget: atTarget ? summariseBackup(atTarget) : null,
    idOf: (b) => b.id,
  });
}

/**
 * The verdict of {@link validateRollbackCapability} from its facts, whichever dialect read them:
 * each applied version above the target must have a down and nothing that blocks it; else a
 * verified backup at the target is the way back.
 *
 * @example
 * rollbackCapabilityOf({ status, migrations, targetVersion: 4, backups, atTarget: null, idOf: (b) => b.id }).blockers;
 */
export function rollbackCapabilityOf<B>(input: RollbackCapabilityInput<B>): RollbackCapability<B> {
  const { status, migrations: set, targetVersion, backups, atTarget } = input;
  const reverted = status.applied
    .map((a) => a.version)
    .filter((v) => v > targetVersion)
    .sort((a, b) => b - a);
  const missing: RollbackCapability['missingDownMigrations'] = [];
  const irreversible: RollbackCapability['irreversibleMigrations'] = [];
  const transformations: RollbackCapability['irreversibleTransformations'] = [];
  const blockers: string[] = [];
  const warnings: string[] = [];
  for (const version of reverted) {
    const m = set.byVersion.get(version);
    const entry = status.applied.find((a) => a.version === version)!;
    if (!m || !m.down) missing.push({ version, name: m?.name ?? entry.name, mvp: m?.mvp ?? entry.mvp });
    if (m?.irreversible) irreversible.push({ version, name: m.name, mvp: m.mvp });
    if (m) for (const id of irreversibleTransformations(m)) transformations.push({ version, migration: migrationLabel(m), transformation: id });
    for (const reason of blockingReasons(m)) blockers.push(`${migrationLabel(entry)}: ${reason}`);
  }
  for (const m of irreversible) warnings.push(`${migrationLabel(m)} is irreversible: keep data preservation on, or the data its down drops is lost`);
  if (targetVersion > status.currentVersion) blockers.push(`target version ${targetVersion} is above the current version ${status.currentVersion}`);
  const downsPossible = blockers.length === 0;
  if (!downsPossible && atTarget)
    warnings.push(
      `Down migrations cannot take the database to ${targetVersion}; backup ${input.idOf(atTarget)} can be restored instead (changes made since it was taken are lost)`,
    );
  if (backups.length === 0) warnings.push('No backup of this database exists: if the down migrations fail, there is nothing to restore');
  return {
    canRollback: downsPossible || Boolean(atTarget),
    currentVersion: status.currentVersion,
    targetVersion,
    method: downsPossible ? 'down-migrations' : atTarget ? 'full-restore' : 'none',
    missingDownMigrations: missing,
    irreversibleMigrations: irreversible,
    irreversibleTransformations: transformations,
    backupsAvailable: backups,
    fullRestoreBackup: atTarget,
    blockers,
    warnings,
  };
}
