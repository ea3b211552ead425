import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import { adoptionPreview, renderAdoption } from '../adoption-preview.js';
import type { CliRuntime } from '../runtime.js';
import { describePosition, renderPending, renderPendingRepeatables } from '../render-status.js';
import { statusPostgres } from '../postgres/postgres-status.js';
import { archiveCounts, frameworkArchives, renderArchiveCounts } from '../archive-listing.js';

interface StatusOptions {
  exitCode: boolean;
}

/** `mfmig status`: current version and milestone, applied, pending, problems. */
export function registerStatus(program: Command, cli: CliRuntime): void {
  program
    .command('status')
    .description('show the current version and milestone, applied and pending migrations, and problems')
    .option('--exit-code', 'exit 1 when migrations are pending or problems exist (for CI scripts)', false)
    .action(async (options: StatusOptions) => {
      if (isPostgresUrl(cli.globals.db)) return statusPostgres(cli, options);
      const framework = cli.openFramework({ mode: 'readonly', loadModules: false, absentAsEmpty: true });
      const exists = !cli.isAbsent(framework);
      const database = exists ? framework.context.connection.target : resolve(cli.globals.db);
      const status = await framework.migrationService.status();
      const adoption = exists ? await adoptionPreview(() => framework.migrationService.analyzeToolAdoption()) : null;
      if (adoption?.adoption) status.pending = status.pending.filter((p) => !adoption.adoption!.versions.includes(p.version));
      const drift = await framework.schemaEvolution.detectDrift();
      const archives = archiveCounts(await frameworkArchives(framework));
      const problems = [
        ...status.problems,
        ...drift.summary.map((message) => ({ code: 'SCHEMA_DRIFT' as const, version: drift.version, severity: 'warning' as const, message })),
        ...(drift.notChecked ? [{ code: 'DRIFT_NOT_CHECKED' as const, version: drift.version, severity: 'warning' as const, message: drift.notChecked }] : []),
        ...(adoption?.problem ? [adoption.problem] : []),
      ];
      const { out } = cli;
      out.result(
        {
          database,
          exists,
          ...status,
          ...(adoption?.adoption ? { adoption: adoption.adoption } : {}),
          problems,
          archives,
          drift: {
            hasDrift: drift.hasDrift,
            expectedHash: drift.expected.hash,
            actualHash: drift.actualHash,
            changes: drift.summary,
            ...(drift.notChecked ? { notChecked: drift.notChecked } : {}),
          },
        },
        () => {
          const c = out.colors;
          out.line(`Database:  ${database}${exists ? '' : ' (does not exist yet: nothing applied)'}`);
          out.line(
            `Version:   ${describePosition(status)}; latest ${status.latestVersion}${status.hasMilestones ? ` (MVP${status.latestMvp})` : ` (${status.format} folder without milestones)`}`,
          );
          out.line(`Applied:   ${status.applied.length}   Pending: ${status.pending.length}`);
          if (adoption?.adoption) renderAdoption(out, adoption.adoption);
          renderPending(out, status);
          renderPendingRepeatables(out, status);
          renderArchiveCounts(out, archives);
          for (const p of problems) out.line(`${p.severity === 'error' ? c.red('error') : c.yellow('warning')}: ${p.message}`);
        },
      );
      if (options.exitCode && (status.pending.length > 0 || status.pendingRepeatables.length > 0 || problems.length > 0)) cli.exitCode = 1;
    });
}
