import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { wrapSqliteError } from '@mfmig/core';
import { collectReportData, renderReport } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';

/**
 * `mfmig report [--out report.html]`: one self-contained HTML page (no script, no network) with
 * the milestone timeline, per-step durations and rows, the latest plan with its risk reasons,
 * the schema diff since the previous milestone, the validation findings, backups and rollbacks.
 * Reads the database only. `--json` prints `{ path, data }`.
 */
export function registerReport(program: Command, cli: CliRuntime): void {
  program
    .command('report')
    .description('write a self-contained HTML report: timeline, step durations and rows, plan, schema diff, validation, backups, rollbacks')
    .option('--out <file>', 'where to write the HTML file', './report.html')
    .action(async (options: { out: string }) => {
      const framework = cli.openFramework({ mode: 'readonly', loadModules: true });
      const data = await collectReportData(framework);
      const path = resolve(options.out);
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, renderReport(data));
      } catch (error) {
        // a folder, an unwritable place or a full disk: the user's input or environment, not a crash
        throw wrapSqliteError(error, 'USAGE', `Cannot write the report to ${path}; give --out a file path you can write`, { file: path });
      }
      cli.out.result({ path, data }, () => {
        cli.out.line(`Report written to ${path}`);
        cli.out.line(`  ${data.steps.length} step(s) from ${data.stepsSource}, ${data.validation?.findings.length ?? 0} validation finding(s), ${data.backups.length} backup(s), ${data.rollbacks.length} rollback run(s)`);
      });
    });
}
