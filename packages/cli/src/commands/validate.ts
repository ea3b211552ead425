import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type IntegrityCheckLevel, isPostgresUrl } from '@mfmig/core';
import { type ValidationReport, ValidationService } from '@mfmig/validation';
import { closing } from '../closing.js';
import type { Output } from '../output.js';
import type { CliRuntime } from '../runtime.js';
import { renderFindings } from '../render-validation.js';
import { formatMs } from '../progress-reporter.js';
import { wholeNumber } from './parse-options.js';
import { validatePostgres } from '../postgres/postgres-validate.js';

const LEVELS: readonly IntegrityCheckLevel[] = ['quick', 'standard', 'comprehensive'];

interface ValidateOptions {
  level?: IntegrityCheckLevel;
  timeout?: number;
}

/**
 * `mfmig validate [--level quick|standard|comprehensive] [--timeout ms]`: the validation report
 * of `--db` (opened read-only). Exit 0 valid, 1 errors found (a damaged file is reported as
 * corruption), 2 not a database or unreadable.
 */
export function registerValidate(program: Command, cli: CliRuntime): void {
  program
    .command('validate')
    .description('check schema, data, references, indexes, critical queries and milestone compliance (read-only)')
    .addOption(new Option('--level <level>', 'how deep to check (env INTEGRITY_CHECK_LEVEL, default standard)').choices(LEVELS))
    .option('--timeout <ms>', 'stop checking after this long and list what was not checked (env VALIDATION_TIMEOUT)', wholeNumber)
    .action(async (options: ValidateOptions) => {
      if (isPostgresUrl(cli.globals.db)) return validatePostgres(cli, options);
      const g = cli.globals;
      const report = await closing(
        new ValidationService({
          ...cli.settings.framework,
          database: resolve(g.db),
          // the default folder is optional (no folder: those checks are listed as skipped); a named one must exist
          migrationsPath: cli.settings.migrationsGiven || existsSync(g.migrations) ? resolve(g.migrations) : undefined,
          ...(options.level ? { integrityCheckLevel: options.level } : {}),
          ...(options.timeout ? { validationTimeout: options.timeout } : {}),
          loadModules: false,
        }),
        (validation) => validation.performComprehensiveValidation(),
      );
      cli.out.result(report, () => renderReport(cli.out, report));
      cli.exitCode = report.isValid ? 0 : 1;
    });
}

function renderReport(out: Output, report: ValidationReport): void {
  const c = out.colors;
  const safety = { safe: c.green, caution: c.yellow, unsafe: c.red }[report.summary.migrationSafety];
  const milestone = report.milestone.current === null ? 'unknown (no mfmig history)' : `MVP${report.milestone.current}`;
  out.line(`Database:   ${report.database} (${milestone})`);
  out.line(`Level:      ${report.level}, ${report.checksRun.length} checks in ${formatMs(report.durationMs)}`);
  out.line(
    `Health:     ${report.summary.overallHealth}/100   Critical issues: ${report.summary.criticalIssues}   Migration safety: ${safety(report.summary.migrationSafety)}`,
  );
  for (const m of report.milestone.compliance) {
    out.line(`MVP${m.milestone}:       ${m.complete ? c.green('complete') : c.red(`incomplete, missing ${m.missing.join(', ')}`)}`);
  }
  renderFindings(out, report);
}
