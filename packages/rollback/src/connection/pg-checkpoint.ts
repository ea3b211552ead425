import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DialectConnection, type DialectParticipant, MfmigError, type MigrationSet, PostgresConnection } from '@mfmig/core';
import { createPgDumpBackup } from './pg-dump-backup.js';
import { type PgDatabaseIdentity, pgDatabaseIdentity, sameDatabase } from './pg-dump-registry.js';

const FORMAT = 'mfmig-pg-checkpoint/1';

/** A PostgreSQL checkpoint: a verified `pg_dump` of the schema and the position of the run it belongs to. */
export interface PgCheckpoint {
  format: typeof FORMAT;
  id: string;
  /** What the checkpoint is named after (`--id`). */
  migrationId: string;
  createdAt: string;
  database: PgDatabaseIdentity;
  /** The `pg_dump` backup taken with it, in the backup folder. */
  backupId: string;
  position: {
    currentVersion: number;
    targetVersion: number;
    /** Versions applied when it was taken, and those the run still had to apply, ascending. */
    applied: number[];
    pending: number[];
    /** The checksum of every migration up to the target, as the folder had it. */
    checksums: Record<string, string>;
  };
  /** Where its manifest is. */
  path: string;
}

/** Where the checkpoints of a pg_dump backup folder are kept. */
export function pgCheckpointFolder(backupFolder: string): string {
  return join(resolve(backupFolder), 'checkpoints');
}

/**
 * Takes a checkpoint of the schema `conn` works in: a verified `pg_dump` backup (labelled
 * `checkpoint <migrationId>`) and a manifest with the run position up to `targetVersion`, in
 * `<folder>/checkpoints/<id>.json`.
 *
 * @example
 * const cp = await createPgCheckpoint(conn, { url, folder: './backups/postgres', migrationId: 'release-7', migrations, applied: [1, 2], targetVersion: 5 });
 */
export async function createPgCheckpoint(
  conn: DialectConnection,
  options: { url: string; schema: string; folder: string; migrationId: string; migrations: MigrationSet; applied: number[]; targetVersion: number },
): Promise<PgCheckpoint> {
  const backup = await createPgDumpBackup(conn, {
    url: options.url,
    schema: options.schema,
    folder: options.folder,
    label: `checkpoint ${options.migrationId}`,
  });
  const applied = [...options.applied].sort((a, b) => a - b);
  const upTo = options.migrations.migrations.filter((m) => m.version <= options.targetVersion);
  const checkpoint: Omit<PgCheckpoint, 'path'> = {
    format: FORMAT,
    id: `${new Date().toISOString().replace(/[:.]/g, '-')}_${options.migrationId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}`,
    migrationId: options.migrationId,
    createdAt: new Date().toISOString(),
    database: await pgDatabaseIdentity(conn, options.url, options.schema),
    backupId: backup.id,
    position: {
      currentVersion: applied.at(-1) ?? 0,
      targetVersion: options.targetVersion,
      applied,
      pending: upTo.map((m) => m.version).filter((v) => !applied.includes(v)),
      checksums: Object.fromEntries(upTo.map((m) => [String(m.version), m.checksum])),
    },
  };
  const folder = pgCheckpointFolder(options.folder);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${checkpoint.id}.json`);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return { ...checkpoint, path };
}

/** The checkpoints in a pg_dump backup folder, of `database` only when given, oldest first. */
export function listPgCheckpoints(folder: string, database?: PgDatabaseIdentity): PgCheckpoint[] {
  let names: string[];
  try {
    names = readdirSync(pgCheckpointFolder(folder)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
  return names
    .map((n) => readManifest(join(pgCheckpointFolder(folder), n)))
    .filter((c): c is PgCheckpoint => c !== undefined && (!database || sameDatabase(c.database, database)))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** One checkpoint, by id or by the path of its manifest; `CHECKPOINT_INVALID` when there is none. */
export function readPgCheckpoint(folder: string, ref: string): PgCheckpoint {
  const byPath = ref.endsWith('.json') ? readManifest(resolve(ref)) : undefined;
  const found = byPath ?? (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref) ? readManifest(join(pgCheckpointFolder(folder), `${ref}.json`)) : undefined);
  if (!found) throw new MfmigError('CHECKPOINT_INVALID', `No PostgreSQL checkpoint ${JSON.stringify(ref.slice(0, 120))} in ${pgCheckpointFolder(folder)}`);
  return found;
}

function readManifest(path: string): PgCheckpoint | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Omit<PgCheckpoint, 'path'>;
    if (data?.format !== FORMAT || typeof data.backupId !== 'string' || !data.position || !Array.isArray(data.position.applied)) return undefined;
    return { ...data, path };
  } catch {
    return undefined;
  }
}

/** Options of {@link createPgCheckpointParticipant}. */
export interface PgCheckpointParticipantOptions {
  /** The URL the connection was opened with (`pg_dump` connects with it). */
  url: string;
  /** The backup folder: the dump goes into it, the manifest into its `checkpoints/`. */
  folder: string;
  /** What the checkpoint is named after. Default `migrate-to-<target version>`. */
  migrationId?: string;
  /** Given each checkpoint taken, before the run's first step. */
  onTaken?: (checkpoint: PgCheckpoint, runId: string) => void;
}

/**
 * The participant that takes a PostgreSQL checkpoint before every real up run of a
 * `DialectMigrator` (see {@link createPgCheckpoint}), under the run's lock: its position is where
 * the schema stood when the run began, even when another runner migrated it while this one waited
 * for the lock. Not in a dry run, nor before a rollback. A checkpoint that cannot be taken stops
 * the run before any step (`BACKUP_FAILED`).
 *
 * @example
 * let checkpoint;
 * const m = new DialectMigrator({ connection: conn, migrations, participants: [createPgCheckpointParticipant({ url, folder, onTaken: (c) => (checkpoint = c) })] });
 * await m.migrate();
 */
export function createPgCheckpointParticipant(options: PgCheckpointParticipantOptions): DialectParticipant {
  return {
    name: 'checkpoint',
    async beforeRun(run) {
      if (run.dryRun || run.direction !== 'up') return;
      const checkpoint = await createPgCheckpoint(run.connection, {
        url: options.url,
        schema: schemaOf(run.connection),
        folder: options.folder,
        migrationId: options.migrationId ?? `migrate-to-${run.targetVersion}`,
        migrations: run.migrations,
        applied: run.status.applied.map((a) => a.version),
        targetVersion: run.targetVersion,
      });
      options.onTaken?.(checkpoint, run.runId);
    },
  };
}

function schemaOf(conn: DialectConnection): string {
  if (conn instanceof PostgresConnection) return conn.schema;
  throw new MfmigError('USAGE', `A PostgreSQL checkpoint was asked of a ${conn.dialect} connection; on SQLite use RollbackManager.createCheckpoint`);
}
