import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type DatabaseIdentity, MfmigError, belongsToDatabase, messageOf, zodModule, writeFileAtomic, readRegularFile } from '@mfmig/core';
import { type BackupRecord, MAX_MANIFEST_BYTES, readBackupManifest } from '../backup/backup-manifest.js';
import { CHECKPOINTS_FOLDER, registryFolders } from '../backup/backup-registry.js';

/**
 * Format tag of a checkpoint manifest.
 *
 * @example
 * readCheckpoint(folder).format === CHECKPOINT_FORMAT; // true
 */
export const CHECKPOINT_FORMAT = 'mfmig-checkpoint/1';

/** File name of the manifest inside a checkpoint folder; written last, so its presence means complete. */
export const CHECKPOINT_FILE = 'checkpoint.json';

/** A checkpoint: a copy of the database plus where the run stood and what it was running. */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  id: string;
  /** What the caller named the checkpoint after (a run id, a migration). */
  migrationId: string;
  createdAt: string;
  /** The live database the checkpoint belongs to: its id (absent or null in older checkpoints) and real path. */
  database: { id?: string | null; path: string };
  /** The database copy, in the checkpoint folder. */
  backup: { id: string; manifest: string; sha256: string };
  position: {
    currentVersion: number;
    currentMvp: number;
    targetVersion: number;
    applied: { version: number; checksum: string; status: 'applied' | 'partial' }[];
    /** Versions still to apply to reach the target, in order. */
    pending: number[];
    runId: string | null;
  };
  /** The migrations folder as it was: checksums by version. */
  migrations: { root: string; fingerprint: string; checksums: Record<string, string> };
}

/** A checkpoint as found on disk. */
export interface CheckpointRecord extends CheckpointManifest {
  folder: string;
  manifestPath: string;
}

// built, and zod loaded, the first time a manifest is read, not when the package is imported
let schema: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  const { z } = zodModule();
  return z.object({
    format: z.literal(CHECKPOINT_FORMAT),
    id: z.string().min(1),
    migrationId: z.string(),
    createdAt: z.string(),
    database: z.object({ id: z.string().min(1).nullable().optional(), path: z.string().min(1) }),
    backup: z.object({ id: z.string(), manifest: z.string().refine((f) => basename(f) === f), sha256: z.string() }),
    position: z.object({
      currentVersion: z.number().int().nonnegative(),
      currentMvp: z.number().int().nonnegative(),
      targetVersion: z.number().int().nonnegative(),
      applied: z.array(z.object({ version: z.number().int(), checksum: z.string(), status: z.enum(['applied', 'partial']) })),
      pending: z.array(z.number().int()),
      runId: z.string().nullable(),
    }),
    migrations: z.object({ root: z.string(), fingerprint: z.string(), checksums: z.record(z.string(), z.string()) }),
  });
}
function checkpointSchema(): ReturnType<typeof buildSchema> {
  schema ??= buildSchema();
  return schema;
}

/**
 * Reads a checkpoint from its folder or its `checkpoint.json`. Anything missing or malformed, or a
 * `checkpoint.json` that is not a regular file (never read through a link, never waited on), is a
 * `CHECKPOINT_INVALID` error naming the file.
 *
 * @example
 * const checkpoint = readCheckpoint('./backups/checkpoints/2025-01-01T10-00-00-000Z_run-42');
 */
export function readCheckpoint(path: string): CheckpointRecord {
  const target = resolve(path);
  const manifestPath = existsSync(target) && statSync(target).isDirectory() ? join(target, CHECKPOINT_FILE) : target;
  let parsed: unknown;
  try {
    // a FIFO or a link where checkpoint.json belongs is refused, never waited on or followed
    const file = readRegularFile(manifestPath, { maxSize: MAX_MANIFEST_BYTES });
    if (file.problem !== null) throw new Error(`${manifestPath} ${file.problem}`);
    parsed = JSON.parse(file.text);
  } catch (error) {
    throw new MfmigError('CHECKPOINT_INVALID', `Checkpoint ${path} cannot be read (${messageOf(error)}); give the checkpoint folder or its checkpoint.json`, {
      context: { file: manifestPath, reason: 'unreadable' },
    });
  }
  const result = checkpointSchema().safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MfmigError(
      'CHECKPOINT_INVALID',
      `Checkpoint ${manifestPath} is malformed: ${issue?.path.join('.') || 'manifest'} ${issue?.message ?? ''}`.trim(),
      {
        context: { file: manifestPath, reason: 'malformed' },
      },
    );
  }
  return { ...(result.data as CheckpointManifest), folder: dirname(manifestPath), manifestPath };
}

/** The database copy of a checkpoint, with its backup manifest. */
export function checkpointBackup(checkpoint: CheckpointRecord): BackupRecord {
  return readBackupManifest(join(checkpoint.folder, checkpoint.backup.manifest));
}

/** Writes `checkpoint.json` (atomically, last). */
export function writeCheckpoint(folder: string, manifest: CheckpointManifest): CheckpointRecord {
  const manifestPath = join(folder, CHECKPOINT_FILE);
  writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...manifest, folder, manifestPath };
}

/**
 * True when the checkpoint belongs to `database` (by id when both have one, else by real path).
 *
 * @example
 * checkpointBelongsTo(readCheckpoint(folder), readDatabaseIdentityAt('./kb.db'));
 */
export function checkpointBelongsTo(checkpoint: CheckpointManifest, database: DatabaseIdentity): boolean {
  return belongsToDatabase({ id: checkpoint.database.id ?? null, path: checkpoint.database.path }, database);
}

/**
 * Every complete checkpoint under the backup folder and its per-database folders, oldest first;
 * with `database`, only that database's.
 *
 * @example
 * listCheckpoints('./backups', { database: readDatabaseIdentityAt('./kb.db') }).map((c) => c.migrationId);
 */
export function listCheckpoints(backupPath: string, options: { database?: DatabaseIdentity } = {}): CheckpointRecord[] {
  const found: CheckpointRecord[] = [];
  for (const folder of registryFolders(resolve(backupPath))) {
    const root = join(folder, CHECKPOINTS_FOLDER);
    let names: string[];
    try {
      names = readdirSync(root).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        if (lstatSync(join(root, name)).isDirectory() && existsSync(join(root, name, CHECKPOINT_FILE))) found.push(readCheckpoint(join(root, name)));
      } catch {
        // an unreadable checkpoint is not offered for resuming
      }
    }
  }
  const own = options.database ? found.filter((c) => checkpointBelongsTo(c, options.database!)) : found;
  return own.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
