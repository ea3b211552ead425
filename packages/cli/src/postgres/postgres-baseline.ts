import { OTHER_TOOL_TABLES, type PostgresBaselineResult, baselinePostgres } from '@mfmig/core';
import type { Output } from '../output.js';
import type { CliRuntime } from '../runtime.js';
import { postgresParticipants } from '@mfmig/framework';
import { open } from './postgres-commands.js';
import { loadPostgresMigrations } from './postgres-migrations.js';

/**
 * `mfmig --db postgres://... baseline [--to N] [--force] [--dry-run]`: adopts a schema made
 * before mfmig at the version whose rehearsed schema equals the live one (see `baselinePostgres`).
 */
export async function baselinePostgresCommand(cli: CliRuntime, options: { to?: number; force: boolean; dryRun: boolean; lockTimeout: number }): Promise<void> {
  const conn = await open(cli, { createSchema: false });
  try {
    const migrations = await loadPostgresMigrations(cli, 'import');
    const result = await baselinePostgres(conn, cli.globals.db, migrations, {
      to: options.to,
      force: options.force,
      dryRun: options.dryRun,
      participants: postgresParticipants({ preserve: false }),
      lockTimeoutMs: options.lockTimeout,
    });
    cli.out.result({ dialect: 'postgres', database: conn.target, ...result }, () => render(cli.out, result));
  } finally {
    await conn.close();
  }
}

function render(out: Output, result: PostgresBaselineResult): void {
  const matches = result.candidates.length === 0 ? 'no version' : `version${result.candidates.length > 1 ? 's' : ''} ${result.candidates.join(', ')}`;
  out.line(`The live schema (${result.liveHash}) matches ${matches}.`);
  for (const change of result.differences) out.line(`  ${change.description}`);
  const leftOut = result.leftOut.map((t) => `${t} (${OTHER_TOOL_TABLES.get(t) ?? 'another tool'})`);
  if (leftOut.length > 0) out.line(`Left out of the comparison, and left as they are: ${leftOut.join(', ')}.`);
  const how = result.matched === 'exact' ? 'its schema matches exactly' : `forced, ${result.differences.length} table difference(s) from the live schema`;
  if (result.dryRun) {
    out.line(`Dry run: the schema would be adopted at version ${result.version} (${how}); nothing was written.`);
    return;
  }
  const span = result.recorded.length > 0 ? `${result.recorded[0]}..${result.recorded.at(-1)}` : 'none';
  out.line(`Adopted at version ${result.version} (${how}): versions ${span} recorded as applied, none run; the adoption is in the audit log.`);
}
