import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type MigrationSet, type MigrationTarget, type OperationProgress, type SqliteConnection, readStatus, resolveTargetVersion, upSteps } from '@mfmig/core';
import { CHECKPOINTS_FOLDER } from '../backup/backup-registry.js';
import { claimIdentity, databaseFolder } from '../backup/backup-ownership.js';
import { createBackup } from '../backup/create-backup.js';
import { migrationsFingerprint } from '../plan/step-analysis.js';
import { CHECKPOINT_FORMAT, type CheckpointRecord, writeCheckpoint } from './checkpoint-manifest.js';

/** Options of `createCheckpoint`. */
export interface CreateCheckpointOptions {
  /** Where the run is going. Default: the target of the run in progress, else the latest version. */
  target?: MigrationTarget;
  runId?: string;
  onProgress?: (progress: OperationProgress) => void;
}

/**
 * Captures the database (an online backup, integrity-checked) and the run's position (current
 * version, target, applied migrations with checksums, the checksums of the migrations folder)
 * into `checkpoints/<id>/` in the database's folder of the backup folder (see `databaseFolder`).
 * `checkpoint.json` is written last: a checkpoint interrupted half-way is never offered for
 * resuming.
 *
 * @example
 * const checkpoint = await createCheckpoint(ctx.connection, await ctx.loadMigrations(), './backups', 'run-42', { target: { mvp: 3 } });
 * checkpoint.folder; // pass it to resumeFromCheckpoint
 */
export async function createCheckpoint(
  conn: SqliteConnection,
  migrations: MigrationSet,
  backupPath: string,
  migrationId: string,
  options: CreateCheckpointOptions = {},
): Promise<CheckpointRecord> {
  const status = await readStatus(conn, migrations);
  const targetVersion = resolveTargetVersion(migrations, options.target ?? { latest: true });
  const createdAt = new Date().toISOString();
  const slug = migrationId.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60) || 'checkpoint';
  const id = `${createdAt.replace(/[:.]/g, '-')}_${slug}_${randomBytes(2).toString('hex')}`;
  const database = claimIdentity(conn);
  const folder = join(databaseFolder(backupPath, database), CHECKPOINTS_FOLDER, id);
  mkdirSync(folder, { recursive: true });
  const backup = await createBackup(conn, {
    backupPath: folder,
    layout: 'flat',
    kind: 'checkpoint',
    name: 'database',
    label: migrationId,
    migrations,
    onProgress: options.onProgress,
  });
  const checksums: Record<string, string> = {};
  for (const m of migrations.migrations) checksums[String(m.version)] = m.checksum;
  const applied = new Set(status.applied.map((h) => h.version));
  return writeCheckpoint(folder, {
    format: CHECKPOINT_FORMAT,
    id,
    migrationId,
    createdAt,
    database,
    backup: { id: backup.id, manifest: 'database.json', sha256: backup.sha256 },
    position: {
      currentVersion: status.currentVersion,
      currentMvp: status.currentMvp,
      targetVersion,
      applied: status.applied.map((h) => ({ version: h.version, checksum: h.checksum, status: h.status })),
      pending: upSteps(migrations, applied, targetVersion).map((m) => m.version),
      runId: options.runId ?? null,
    },
    migrations: { root: migrations.root, fingerprint: migrationsFingerprint(migrations), checksums },
  });
}
