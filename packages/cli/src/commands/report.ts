import type { Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import { reportPostgres } from '../postgres/postgres-report.js';
import { collectReportData, renderReport } from '@mfmig/framework';
import { assertReportPath, writeReportFile } from '../report-file.js';
import type { CliRuntime } from '../runtime.js';

interface ReportOptions {
  out: string;
  force: boolean;
}

/**
 * `mfmig report [--out report.html] [--force]`: one self-contained HTML page (no script, no
 * network) with the milestone timeline, per-step durations and rows, the latest plan with its
 * risk reasons, the schema diff since the previous milestone, the validation findings, backups
 * and rollbacks. Reads the database only. `--out` never names the database or its side files,
 * never goes through a symbolic link, and replaces an existing file only when it is an earlier
 * report (or with `--force`); a refusal exits 3 with nothing changed. `--json` prints `{ path, data }`.
 */
export function registerReport(program: Command, cli: CliRuntime): void {
  program
    .command('report')
    .description('write a self-contained HTML report: timeline, step durations and rows, plan, schema diff, validation, backups, rollbacks')
    .option('--out <file>', 'where to write the HTML file (never the database, never through a symbolic link)', './report.html')
    .option('--force', 'replace an existing file at --out that is not an earlier mfmig report', false)
    .action(async (options: ReportOptions) => {
      if (isPostgresUrl(cli.globals.db)) return reportPostgres(cli, options);
      const target = { database: cli.globals.db, force: options.force };
      assertReportPath(options.out, target);
      const framework = cli.openFramework({ mode: 'readonly', loadModules: true });
      const data = await collectReportData(framework);
      const path = writeReportFile(options.out, renderReport(data), target);
      cli.out.result({ path, data }, () => {
        cli.out.line(`Report written to ${path}`);
        cli.out.line(
          `  ${data.steps.length} step(s) from ${data.stepsSource}, ${data.validation?.findings.length ?? 0} validation finding(s), ${data.backups.length} backup(s), ${data.rollbacks.length} rollback run(s)`,
        );
      });
    });
}
