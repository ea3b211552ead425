import { type Command, InvalidArgumentError } from 'commander';
import type { SchemaDiff } from '@mfmig/framework';
import { isPostgresUrl } from '@mfmig/core';
import type { Output } from '../output.js';
import type { CliRuntime } from '../runtime.js';
import { wholeNumber } from './parse-options.js';
import { diffPostgres } from '../postgres/postgres-diff.js';

interface DiffOptions {
  from: number;
  to?: number | 'live';
}

/** Commander parser for `--to`: a version or `live`. */
function versionOrLive(value: string): number | 'live' {
  if (value.trim().toLowerCase() === 'live') return 'live';
  try {
    return wholeNumber(value);
  } catch {
    throw new InvalidArgumentError('must be a version number or "live"');
  }
}

/**
 * `mfmig diff --from A [--to B|live]`: what changed in the schema between two versions (0 is
 * the empty schema; `live` the database as it is), from the stored snapshots or a replay of
 * the migrations, each change marked compatible or breaking. Read-only; exit 0.
 */
export function registerDiff(program: Command, cli: CliRuntime): void {
  program
    .command('diff')
    .description('show the schema changes between two versions (or a version and the live database), breaking ones flagged (read-only)')
    .requiredOption('--from <version>', 'version to compare from (0: the empty schema)', wholeNumber)
    .option('--to <version>', 'version to compare to, or "live" (default)', versionOrLive)
    .action(async (options: DiffOptions) => {
      if (isPostgresUrl(cli.globals.db)) return diffPostgres(cli, options);
      const framework = cli.openFramework({ mode: 'readonly', loadModules: true });
      const to = options.to ?? 'live';
      const diff = await framework.schemaEvolution.diff(options.from, to);
      cli.out.result({ from: options.from, to, ...diff }, () =>
        renderDiff(cli.out, diff, `version ${options.from}`, to === 'live' ? 'the live schema' : `version ${to}`),
      );
    });
}

/** Prints a schema diff: one line per change, breaking ones in red with why (SQLite and PostgreSQL alike). */
export function renderDiff(out: Output, diff: SchemaDiff, from: string, to: string): void {
  const c = out.colors;
  if (diff.changes.length === 0) {
    out.line(`No schema changes from ${from} to ${to} (schema hash ${diff.toHash}).`);
    return;
  }
  out.line(
    `Schema changes from ${from} (${diff.fromHash}) to ${to} (${diff.toHash}): ${diff.breaking.length} breaking, ${diff.changes.length - diff.breaking.length} compatible`,
  );
  out.line();
  for (const change of diff.changes) {
    const mark = change.kind.endsWith('-added') ? '+' : change.kind.endsWith('-removed') ? '-' : change.kind.endsWith('-renamed') ? '>' : '~';
    const line = `  ${mark} ${change.description}`;
    out.line(change.compatibility === 'breaking' ? `${c.red(line)}  ${c.red(`BREAKING: ${change.reason}`)}` : line);
  }
}
