import type { StageRunner } from '../execute/execute-rollback-plan.js';
import { type DatabaseIdentity, MfmigError, type MigrationSet, type RunResult } from '@mfmig/core';
import { type LiveState, liveStatus } from '../live-state.js';
import type { BackupRecord } from '../backup/backup-manifest.js';
import { describeDatabase } from '../backup/backup-ownership.js';
import { type CheckpointRecord, checkpointBackup, checkpointBelongsTo, readCheckpoint } from './checkpoint-manifest.js';

/** What resuming needs from the rollback manager. */
export interface ResumeEnvironment {
  livePath: string;
  /** The live database's identity, read without writing. */
  identity(): DatabaseIdentity;
  loadMigrations(): Promise<MigrationSet>;
  /** The live database, or why it cannot be used. */
  tryState(): Promise<LiveState | Error>;
  /** Restores a backup over the live file (closing and reopening the connection); returns where the replaced file was kept. */
  restore(backup: BackupRecord): Promise<{ savedAside: string | null }>;
  /** Runs with preservation on and without the automatic pre-run backup (see `StageRunner`). */
  run<T>(preserve: boolean, fn: (runner: StageRunner) => Promise<T>): Promise<T>;
}

/** Options of `resumeFromCheckpoint`. */
export interface ResumeOptions {
  /** Put the checkpoint's copy back first: when the live database diverged or is damaged (`auto`, default), always, or never. */
  restore?: 'auto' | 'always' | 'never';
  signal?: AbortSignal;
}

/** What resuming did. */
export interface ResumeResult {
  success: boolean;
  checkpointId: string;
  /** True when the checkpoint's database copy was restored before migrating. */
  restored: boolean;
  /** Why the copy was (or was not) restored. */
  reason: string;
  /** Where the live file the restore replaced was kept (null when nothing was restored). */
  savedAside: string | null;
  fromVersion: number;
  toVersion: number;
  targetVersion: number;
  run: RunResult | null;
  error?: Error;
}

/**
 * Finishes the run a checkpoint recorded: migrates the database to the recorded target with the
 * core Migrator. Refuses with `BACKUP_OTHER_DATABASE` when the checkpoint belongs to another
 * database (by id, or by path for a database without one: a renamed database keeps its
 * checkpoints, a copy does not get them), and with `CHECKPOINT_INVALID` (`context.reason`) when
 * the migrations changed since the checkpoint (`migrations-changed`) or when the live database
 * diverged and restoring is not allowed (`database-diverged`). A live database that cannot be used, or that went elsewhere than along
 * the checkpoint's path, is first replaced by the checkpoint's copy (unless `restore: 'never'`).
 *
 * @example
 * const result = await resumeFromCheckpoint(env, './backups/checkpoints/2025-…_run-42');
 * result.toVersion === result.targetVersion; // true when the run finished
 */
export async function resumeFromCheckpoint(env: ResumeEnvironment, checkpointPath: string, options: ResumeOptions = {}): Promise<ResumeResult> {
  const checkpoint = readCheckpoint(checkpointPath);
  const live = env.identity();
  if (!checkpointBelongsTo(checkpoint, live)) {
    const owner = { id: checkpoint.database.id ?? null, path: checkpoint.database.path };
    throw new MfmigError(
      'BACKUP_OTHER_DATABASE',
      `Checkpoint ${checkpoint.id} belongs to the database ${describeDatabase(owner)}, not to ${describeDatabase(live)}; nothing was changed`,
      {
        context: { file: checkpoint.manifestPath, reason: 'other-database', owner, database: live },
      },
    );
  }
  const set = await env.loadMigrations();
  const changed = changedMigrations(checkpoint, set);
  if (changed.length > 0) {
    throw refuse(
      'migrations-changed',
      `The migrations changed since checkpoint ${checkpoint.id} (versions ${changed.join(', ')} edited, added or removed); resuming would run something else than the checkpointed run`,
      checkpoint,
      { changed },
    );
  }
  const backup = checkpointBackup(checkpoint);
  const mode = options.restore ?? 'auto';
  const state = await env.tryState();
  const divergence = state instanceof Error ? `the live database cannot be used (${state.message})` : await divergenceFrom(checkpoint, state);
  let restored = false;
  let savedAside: string | null = null;
  let reason = divergence ?? "the live database is on the checkpoint's path";
  if (mode === 'always' || divergence) {
    if (mode === 'never') throw refuse('database-diverged', `Cannot resume checkpoint ${checkpoint.id}: ${divergence}; allow restoring its copy`, checkpoint);
    ({ savedAside } = await env.restore(backup));
    restored = true;
    reason = mode === 'always' ? 'restore requested' : `${divergence}; the checkpoint's copy was restored`;
  }
  const target = checkpoint.position.targetVersion;
  const run = await env.run(true, (m) => m.migrate({ version: target }, { signal: options.signal, command: `resume checkpoint ${checkpoint.id}` }));
  return {
    success: !run.error && run.toVersion === target,
    checkpointId: checkpoint.id,
    restored,
    reason,
    savedAside,
    fromVersion: run.fromVersion,
    toVersion: run.toVersion,
    targetVersion: target,
    run,
    ...(run.error ? { error: run.error } : {}),
  };
}

/** Versions up to the target whose checksum changed, that appeared, or that disappeared. */
function changedMigrations(checkpoint: CheckpointRecord, set: MigrationSet): number[] {
  const target = checkpoint.position.targetVersion;
  const recorded = checkpoint.migrations.checksums;
  const versions = new Set([...Object.keys(recorded).map(Number), ...set.migrations.map((m) => m.version)]);
  return [...versions]
    .filter((v) => v <= target || checkpoint.position.applied.some((a) => a.version === v))
    .filter((v) => recorded[String(v)] !== set.byVersion.get(v)?.checksum)
    .sort((a, b) => a - b);
}

/** Why the live database is not on the checkpoint's path (null when it is: at it, or further along). */
async function divergenceFrom(checkpoint: CheckpointRecord, live: LiveState): Promise<string | null> {
  let problems: string[];
  try {
    problems = await live.connection.checkIntegrity('quick', 3);
  } catch (error) {
    return `the live database fails its check (${(error as Error).message})`;
  }
  if (problems.length > 0) return `the live database fails its check (${problems.join('; ')})`;
  const applied = new Set((await liveStatus(live)).applied.map((a) => a.version));
  const expected = checkpoint.position.applied.map((a) => a.version);
  const missing = expected.filter((v) => !applied.has(v));
  if (missing.length > 0) return `versions ${missing.join(', ')} applied at the checkpoint are no longer applied`;
  const path = new Set(checkpoint.position.pending);
  const foreign = [...applied].filter((v) => !expected.includes(v) && !path.has(v));
  if (foreign.length > 0) return `versions ${foreign.join(', ')} were applied that the checkpointed run does not apply`;
  return null;
}

function refuse(reason: string, message: string, checkpoint: CheckpointRecord, extra: Record<string, unknown> = {}): MfmigError {
  return new MfmigError('CHECKPOINT_INVALID', message, { context: { reason, file: checkpoint.manifestPath, ...extra } });
}
