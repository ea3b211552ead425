import { type DialectRunResult, MfmigError, migrationLabel } from '@mfmig/core';
import { assertRedoStatus } from '@mfmig/framework';
import { ProgressReporter } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import type { CliRuntime } from '../runtime.js';
import { postgresExecutionResult } from '@mfmig/framework';
import { migrator, open } from './postgres-commands.js';
import { renderReports } from './render-reports.js';
import { showRollbackPlan } from './postgres-rollback.js';

/**
 * `mfmig --db postgres://... redo`: reverts the newest applied migration and applies it again,
 * under one hold of the run lock (no other runner between the two), with the rows its down drops
 * archived and put back by the up. Refuses before anything is written: nothing applied, an edited
 * or missing applied migration, a last migration without a down, and pending migrations below it
 * (applying it again would apply them too). When the up fails, the migration stays reverted and
 * the command exits 1.
 */
export async function redoPostgres(cli: CliRuntime, options: { planOnly: boolean; lockTimeout: number }): Promise<void> {
  if (options.planOnly) return showRollbackPlan(cli, { steps: 1 }, true);
  const conn = await open(cli, { createSchema: false });
  try {
    const m = await migrator(cli, conn, { loadModules: true, lockTimeout: options.lockTimeout });
    const last = await redoable(m);
    await conn.history.ensure();
    await conn.lock.acquire({ timeoutMs: options.lockTimeout, command: 'mfmig redo' });
    const detach = new ProgressReporter(cli.out).attach(m.events);
    let down: DialectRunResult;
    let up: DialectRunResult | null = null;
    try {
      // under the lock: another runner may have changed the history since it was read
      if ((await redoable(m)).version !== last.version)
        throw new MfmigError('REDO_REFUSED', 'The newest applied migration changed while the redo waited for the lock; nothing was redone');
      down = await m.rollback({ steps: 1 }, { signal: cli.signal, command: 'mfmig redo', lockHeld: true });
      if (!down.error) up = await m.migrate({ version: last.version }, { signal: cli.signal, command: 'mfmig redo', lockHeld: true });
    } finally {
      detach();
      await conn.lock.release();
    }
    const status = await m.status();
    const reapplied = up && !up.error ? postgresExecutionResult(up, status, m) : null;
    const doc = {
      dialect: 'postgres',
      database: conn.target,
      success: reapplied !== null,
      migration: last,
      rollback: { fromVersion: down.fromVersion, toVersion: down.toVersion, migrations: down.results, reports: down.reports },
      reapplied,
      reports: [...down.reports, ...(up?.reports ?? [])],
    };
    const error = down.error ?? up?.error;
    if (error) {
      if (!down.error) error.message = `${migrationLabel(last)} was reverted, but applying it again failed: ${error.message}; it stays reverted`;
      throw error;
    }
    cli.out.result(doc, () => {
      for (const r of down.results) cli.out.line(`Reverted ${r.version} ${r.name} in ${Math.round(r.durationMs)} ms`);
      if (reapplied) renderRun(cli.out, reapplied);
      renderReports(cli.out, doc.reports);
    });
  } finally {
    await conn.close();
  }
}

/** The newest applied migration, when a redo of it may run; refuses otherwise. */
async function redoable(m: Awaited<ReturnType<typeof migrator>>): Promise<{ version: number; name: string; mvp: number }> {
  const status = await m.status();
  assertRedoStatus(status);
  const applied = status.applied.at(-1)!;
  const migration = m.migrations.byVersion.get(applied.version)!;
  if (!migration.down || migration.irreversible) {
    throw new MfmigError('NO_DOWN_MIGRATION', `Cannot redo ${migrationLabel(migration)}: it has no down migration; nothing was changed`, {
      context: { version: migration.version },
    });
  }
  const below = status.pending.filter((p) => p.version < applied.version);
  if (below.length > 0) {
    throw new MfmigError(
      'REDO_REFUSED',
      `Cannot redo ${migrationLabel(migration)}: ${below.length} pending migration(s) below it (${below.map((p) => p.version).join(', ')}) would be applied too; run mfmig migrate first`,
      { context: { version: migration.version } },
    );
  }
  return { version: migration.version, name: migration.name, mvp: migration.mvp };
}
