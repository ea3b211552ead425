import { type MigrationTarget, resolveTargetVersion } from '@mfmig/core';
import { type PgCheckpoint, type PgResume, createPgCheckpoint, listPgCheckpoints, pgDatabaseIdentity, resumePgCheckpoint } from '@mfmig/rollback';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';

/**
 * A checkpoint of the schema (a verified `pg_dump` and the run position up to `target`, default the
 * latest migration) in `<backupPath>/postgres/checkpoints` (what `mfmig checkpoint` takes).
 *
 * @example
 * const cp = await createPostgresCheckpoint(framework.context, 'release-7', { mvp: 5 });
 */
export async function createPostgresCheckpoint(
  ctx: PostgresFrameworkContext,
  migrationId: string,
  target: MigrationTarget = { latest: true },
): Promise<PgCheckpoint> {
  const migrations = await ctx.migrations('metadata');
  return ctx.session('plain', async (conn) =>
    createPgCheckpoint(conn, {
      url: ctx.url,
      schema: conn.schema,
      folder: ctx.backupFolder,
      migrationId,
      migrations,
      applied: (await conn.history.list()).map((h) => h.version),
      targetVersion: resolveTargetVersion(migrations, target),
    }),
  );
}

/** This schema's checkpoints, oldest first. */
export function listPostgresCheckpoints(ctx: PostgresFrameworkContext): Promise<PgCheckpoint[]> {
  return ctx.session('read', async (conn) => listPgCheckpoints(ctx.backupFolder, await pgDatabaseIdentity(conn, ctx.url, conn.schema)));
}

/**
 * Finishes the run a checkpoint recorded (see `resumePgCheckpoint`), with the framework's
 * participants and events. The run's failure is `run.error`, for the caller to throw.
 *
 * @example
 * const { run } = await resumePostgresCheckpoint(framework.context, cp.id, { restore: 'auto' });
 */
export async function resumePostgresCheckpoint(
  ctx: PostgresFrameworkContext,
  ref: string,
  options: { restore?: 'auto' | 'always' | 'never'; signal?: AbortSignal } = {},
): Promise<PgResume> {
  const migrations = await ctx.migrations('import');
  return ctx.session('plain', (conn) =>
    resumePgCheckpoint(ctx.url, conn, ctx.runner(conn, migrations, { preserve: true }), ref, {
      folder: ctx.backupFolder,
      restore: options.restore ?? 'auto',
      command: `resume checkpoint ${ref}`,
      ...(ctx.config.lockWait ? { lockWait: ctx.config.lockWait } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
}
