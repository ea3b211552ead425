import type { Command } from 'commander';
import { MfmigError, isPostgresUrl } from '@mfmig/core';
import { type BaselineAnalysis, type BaselineResult, renderDiff } from '@mfmig/framework';
import type { Output } from '../output.js';
import { baselinePostgresCommand } from '../postgres/postgres-baseline.js';
import type { CliRuntime } from '../runtime.js';
import { wholeNumber, versionNumber } from './parse-options.js';
import { assertSchemaFileWritable, writeSchemaFile } from '../schema-file.js';

interface BaselineCommandOptions {
  to?: number;
  force: boolean;
  dryRun: boolean;
  lockTimeout: number;
}

/**
 * `mfmig baseline [--to N] [--force] [--dry-run]`: adopts an existing database (tables, no
 * migration history) at the version whose schema equals the live one, so that `migrate`
 * applies only newer migrations. Refusals (no match, several, differences without `--force`,
 * a database with history) exit 3 and write nothing.
 */
export function registerBaseline(program: Command, cli: CliRuntime): void {
  program
    .command('baseline')
    .description('adopt an existing database without migration history: record the version its schema matches, run nothing')
    .option('--to <version>', 'adopt at this version (its differences from the live schema are shown first)', versionNumber)
    .option('--force', 'adopt at --to even though its schema differs from the live one (recorded as forced)', false)
    .option('--dry-run', 'show the matching version and the differences, and change nothing', false)
    .option('--lock-timeout <ms>', 'wait this long for another running mfmig before giving up', wholeNumber, 10_000)
    .action(async (options: BaselineCommandOptions) => {
      if (options.force && options.to === undefined) {
        throw new MfmigError('USAGE', '--force needs --to <version>: the version to adopt the database at');
      }
      if (isPostgresUrl(cli.globals.db)) return baselinePostgresCommand(cli, options);
      if (!options.dryRun) assertSchemaFileWritable(cli);
      const framework = cli.openFramework({ loadModules: true, config: { lockTimeout: options.lockTimeout } });
      const service = framework.migrationService;
      const analysis = await service.analyzeBaseline({ to: options.to });
      if (!cli.out.json) renderAnalysis(cli.out, analysis);
      const result = await service.baseline({ to: options.to, force: options.force, dryRun: options.dryRun });
      cli.out.result(result, () => renderResult(cli.out, result));
      if (!options.dryRun) await writeSchemaFile(cli);
    });
}

function renderAnalysis(out: Output, analysis: BaselineAnalysis): void {
  const matches = analysis.candidates.length === 0 ? 'no version' : `version${analysis.candidates.length > 1 ? 's' : ''} ${analysis.candidates.join(', ')}`;
  out.line(`The live schema (${analysis.liveHash}) matches ${matches}.`);
  if (analysis.diff && !analysis.diff.identical) {
    out.line();
    out.line(renderDiff(analysis.diff, { from: `version ${analysis.version}`, to: 'the live schema' }));
  }
  out.line();
}

function renderResult(out: Output, result: BaselineResult): void {
  const how = result.matched === 'exact' ? 'its schema matches exactly' : `forced, ${result.differences.length} difference(s) from the live schema`;
  if (result.dryRun) {
    out.line(`Dry run: the database would be adopted at version ${result.version} (${how}); nothing was written.`);
    return;
  }
  const span = result.recorded.length > 0 ? `${result.recorded[0]}..${result.recorded.at(-1)}` : 'none';
  out.line(`Adopted at version ${result.version} (${how}): versions ${span} recorded as applied, none run; the adoption is in the audit log.`);
}
