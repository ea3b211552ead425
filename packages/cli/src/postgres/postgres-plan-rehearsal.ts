import type { MigrationSet, MigrationTarget, PostgresConnection } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { formatMs } from '../progress-reporter.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { type FailedRehearsal, type RehearsalEstimate, rehearsalOrFailure } from '@mfmig/framework';

/** Rows per table a plan copies into its rehearsal by default. */
export { DEFAULT_POSTGRES_SAMPLE_ROWS as DEFAULT_SAMPLE_ROWS } from '@mfmig/framework';

/**
 * The plan's timed rehearsal: the pending steps run on a sample of the live rows in a scratch
 * schema (dropped afterwards), each step's time scaled by the live rows of the tables it touches.
 * A rehearsal that cannot run (no right to create a schema) is reported, not thrown.
 *
 * @example
 * const r = await rehearsed(cli, conn, { latest: true }, 10_000);
 */
export async function rehearsed(
  cli: CliRuntime,
  conn: PostgresConnection,
  target: MigrationTarget,
  sampleRows: number,
  options: { fixedTimes?: boolean; migrations?: MigrationSet } = {},
): Promise<RehearsalEstimate | FailedRehearsal> {
  // a caller that loaded the modules already hands them in: the folder is read once
  const migrations = options.migrations ?? (await loadPostgresMigrations(cli, 'import'));
  return rehearsalOrFailure(cli.globals.db, conn, migrations, target, sampleRows, cli.signal, { fixedTimes: options.fixedTimes });
}

/**
 * The rehearsal's estimates under the plan.
 *
 * @example
 * renderRehearsal(cli, await rehearsed(cli, conn, target, 10_000));
 */
export function renderRehearsal(cli: CliRuntime, rehearsal: RehearsalEstimate | FailedRehearsal): void {
  const { out } = cli;
  out.line();
  if ('failed' in rehearsal) {
    out.line(`${rehearsal.migrationFailed ? out.colors.red('Rehearsal failed') : 'Not rehearsed'}: ${rehearsal.failed}`);
    return;
  }
  const copied = rehearsal.sampled.reduce((n, s) => n + s.rows, 0);
  const live = rehearsal.sampled.reduce((n, s) => n + s.liveRows, 0);
  out.line(
    `Rehearsal: ${rehearsal.steps.length} step(s) run on ${copied.toLocaleString('en-US')} of ${live.toLocaleString('en-US')} live rows in a scratch schema; estimated ${formatMs(rehearsal.estimatedMs)}`,
  );
  for (const s of rehearsal.steps) {
    out.line(
      `  ${String(s.version).padStart(5)}  ${s.name.padEnd(32)} ${formatMs(s.sampleMs).padStart(8)} on the sample${s.fixedMs > 0 ? ` (${formatMs(s.fixedMs)} on empty tables)` : ''}  x${s.scale.toFixed(1)}  ~${formatMs(s.estimatedMs)}`,
    );
  }
}
