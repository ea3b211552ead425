import type { Command } from 'commander';
import { formatCount, isPostgresUrl } from '@mfmig/core';
import { type HistoryDocument, historyDocument } from '../history-document.js';
import { postgresHistory } from '../postgres/postgres-commands.js';
import type { CliRuntime } from '../runtime.js';
import { formatMs } from '../progress-reporter.js';
import { milestoneText } from '../milestone-text.js';
import { renderMetrics } from '../render-metrics.js';

interface HistoryOptions {
  metrics: boolean;
}

/** `mfmig history`: applied migrations with when, how long and by whom; the audit log. */
export function registerHistory(program: Command, cli: CliRuntime): void {
  program
    .command('history')
    .description(
      'list applied migrations (when, how long, by whom, schema hash after each) and deliberate changes to the history; `mfmig diff` compares two versions',
    )
    .option('--metrics', 'also show per-step metrics recorded with ENABLE_METRICS (duration, rows, rows/s, peak memory)', false)
    .action(async (options: HistoryOptions) => {
      const { history, audit, metrics } = isPostgresUrl(cli.globals.db) ? await postgresHistory(cli, options) : await sqliteHistory(cli, options);
      cli.out.result({ history, audit, ...(metrics ? { metrics } : {}) }, () => {
        if (history.length === 0) cli.out.line('No migrations applied yet.');
        else
          cli.out.table(
            history.map((h) => ({
              version: h.version,
              name: h.name,
              mvp: milestoneText(h.mvp),
              at: h.appliedAt,
              took: formatMs(h.durationMs),
              rows: h.rows == null ? '' : formatCount(h.rows),
              by: h.appliedBy,
              status: h.status,
              schema: h.schemaHash ? h.schemaHash.slice(0, 12) : '',
            })),
            [
              { key: 'version', label: 'Version', align: 'right' },
              { key: 'name', label: 'Name' },
              { key: 'mvp', label: 'Milestone' },
              { key: 'at', label: 'Applied at' },
              { key: 'took', label: 'Took', align: 'right' },
              { key: 'rows', label: 'Rows', align: 'right' },
              { key: 'by', label: 'By' },
              { key: 'status', label: 'Status' },
              { key: 'schema', label: 'Schema hash' },
            ],
          );
        if (metrics) {
          cli.out.line();
          renderMetrics(cli.out, metrics);
        }
        if (audit.length > 0) {
          cli.out.line();
          cli.out.line('Audit log:');
          for (const a of audit) cli.out.line(`  ${a.at} ${a.action} v${a.version ?? '-'} by ${a.actor}: ${a.detail ?? ''}`);
        }
      });
    });
}

/** The history document of a SQLite database, read without writing anything. */
function sqliteHistory(cli: CliRuntime, options: HistoryOptions): Promise<HistoryDocument> {
  const framework = cli.openFramework({ mode: 'readonly', loadModules: false });
  return historyDocument(framework.context.connection, options);
}
