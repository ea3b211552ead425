import { type DialectMigrator, type DialectRunResult, type LockWaitPolicy, MfmigError, type PostgresConnection } from '@mfmig/core';
import { type PgCheckpoint, readPgCheckpoint } from './pg-checkpoint.js';
import { pgDatabaseIdentity, sameDatabase } from './pg-dump-registry.js';
import { restorePgDumpBackup } from './pg-dump-restore.js';

/** Options of {@link resumePgCheckpoint}. */
export interface PgResumeOptions {
  /** The pg_dump backup folder the checkpoint is in. */
  folder: string;
  /** Restore the checkpoint's dump first: when the schema left the run's path (`auto`), always, or never (which then refuses such a schema). */
  restore: 'auto' | 'always' | 'never';
  /** Who resumes, for the lock row and the audit log. */
  command: string;
  lockWait?: Partial<LockWaitPolicy>;
  signal?: AbortSignal;
}

/** What {@link resumePgCheckpoint} did; `run.error` is the run's failure, for the caller to throw. */
export interface PgResume {
  checkpoint: PgCheckpoint;
  /** Whether the checkpoint's dump was restored first, and why. */
  restored: boolean;
  reason: string | null;
  /** The pg_dump backup that keeps the schema the restore replaced. */
  savedAside: string | null;
  fromVersion: number;
  run: DialectRunResult;
}

/**
 * Finishes the run a PostgreSQL checkpoint recorded (by id or manifest path): refused, nothing
 * changed, for another database's or schema's checkpoint (`BACKUP_OTHER_DATABASE`), when a
 * migration up to its target changed since, or when the schema is past its target
 * (`CHECKPOINT_INVALID`). The schema is restored from the checkpoint's dump first when it left the
 * run's path (a version applied that the run did not apply, or one of the run's gone) with `auto`,
 * always with `always`; then the run migrates to the checkpoint's target through `m`.
 *
 * @example
 * const r = await resumePgCheckpoint(url, conn, m, 'release-7-2025...', { folder: './backups/postgres', restore: 'auto', command: 'deploy resume' });
 * if (r.run.error) throw r.run.error;
 */
export async function resumePgCheckpoint(url: string, conn: PostgresConnection, m: DialectMigrator, ref: string, options: PgResumeOptions): Promise<PgResume> {
  const checkpoint = readPgCheckpoint(options.folder, ref);
  if (!sameDatabase(checkpoint.database, await pgDatabaseIdentity(conn, url, conn.schema))) {
    throw new MfmigError('BACKUP_OTHER_DATABASE', `Checkpoint ${checkpoint.id} belongs to another database or schema; nothing was changed`);
  }
  assertMigrationsUnchanged(checkpoint, m.migrations);
  const live = (await conn.history.list()).map((h) => h.version);
  const beyond = live.filter((v) => v > checkpoint.position.targetVersion);
  if (beyond.length > 0 && options.restore !== 'always') {
    throw new MfmigError(
      'CHECKPOINT_INVALID',
      `The schema is past the target of checkpoint ${checkpoint.id} (version(s) ${beyond.join(', ')} applied); nothing was changed (--restore always would go back to the checkpoint's dump)`,
    );
  }
  const offPath = offThePath(
    checkpoint,
    live.filter((v) => v <= checkpoint.position.targetVersion),
  );
  if (offPath && options.restore === 'never') {
    throw new MfmigError(
      'CHECKPOINT_INVALID',
      `The schema left the run of checkpoint ${checkpoint.id} (${offPath}); resume with --restore auto to restore its dump first`,
    );
  }
  const restored = options.restore === 'always' || offPath !== null;
  const replaced = restored
    ? await restorePgDumpBackup(conn, {
        url,
        schema: conn.schema,
        folder: options.folder,
        id: checkpoint.backupId,
        saveAside: 'pre-resume',
        ...(options.lockWait ? { lockWait: options.lockWait } : {}),
      })
    : null;
  const fromVersion = (await m.status()).currentVersion;
  const run = await m.migrate(
    { version: checkpoint.position.targetVersion },
    { ...(options.signal ? { signal: options.signal } : {}), command: options.command },
  );
  const reason = restored ? (offPath ?? 'asked with --restore always') : null;
  return { checkpoint, restored, reason, savedAside: replaced?.savedAside?.id ?? null, fromVersion, run };
}

function assertMigrationsUnchanged(checkpoint: PgCheckpoint, migrations: { byVersion: Map<number, { checksum: string }> }): void {
  for (const [version, checksum] of Object.entries(checkpoint.position.checksums)) {
    const now = migrations.byVersion.get(Number(version))?.checksum;
    if (now !== checksum) {
      throw new MfmigError(
        'CHECKPOINT_INVALID',
        `Migration ${version} ${now === undefined ? 'is gone from' : 'was edited in'} the folder since checkpoint ${checkpoint.id} was taken; nothing was changed`,
        { context: { version: Number(version) } },
      );
    }
  }
}

/** Why the live history is off the checkpoint's run (null when it is on it: the checkpoint's versions, plus some of the run's). */
function offThePath(checkpoint: PgCheckpoint, live: number[]): string | null {
  const { applied, pending } = checkpoint.position;
  const missing = applied.filter((v) => !live.includes(v));
  if (missing.length > 0) return `version(s) ${missing.join(', ')} applied at the checkpoint are no longer applied`;
  const foreign = live.filter((v) => !applied.includes(v) && !pending.includes(v));
  if (foreign.length > 0) return `version(s) ${foreign.join(', ')} were applied outside the run`;
  return null;
}
