import type { Command } from 'commander';
import { HistoryStore } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { formatMs } from '../progress-reporter.js';

/** `mfmig history`: applied migrations with when, how long and by whom; the audit log. */
export function registerHistory(program: Command, cli: CliRuntime): void {
  program
    .command('history')
    .description('list applied migrations (when, how long, by whom) and deliberate changes to the history')
    .action(async () => {
      const framework = cli.openFramework({ mode: 'readonly' });
      const store = new HistoryStore(framework.context.adapter);
      const history = store.list();
      const audit = store.auditLog();
      cli.out.result({ history, audit }, () => {
        if (history.length === 0) cli.out.line('No migrations applied yet.');
        cli.out.table(
          history.map((h) => ({
            version: h.version,
            name: h.name,
            mvp: `MVP${h.mvp}`,
            at: h.appliedAt,
            took: formatMs(h.durationMs),
            by: h.appliedBy,
            status: h.status,
          })),
          [
            { key: 'version', label: 'Version', align: 'right' },
            { key: 'name', label: 'Name' },
            { key: 'mvp', label: 'Milestone' },
            { key: 'at', label: 'Applied at' },
            { key: 'took', label: 'Took', align: 'right' },
            { key: 'by', label: 'By' },
            { key: 'status', label: 'Status' },
          ],
        );
        if (audit.length > 0) {
          cli.out.line();
          cli.out.line('Audit log:');
          for (const a of audit) cli.out.line(`  ${a.at} ${a.action} v${a.version ?? '-'} by ${a.actor}: ${a.detail ?? ''}`);
        }
      });
    });
}
