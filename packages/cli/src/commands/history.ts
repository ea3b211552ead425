import type { Command } from 'commander';
import { type HistoryEntry, HistoryStore, MetricsStore, MfmigError, formatCount, isPostgresUrl } from '@mfmig/core';
import { type AuditEntry, postgresHistory } from '../postgres/postgres-commands.js';
import type { CliRuntime } from '../runtime.js';
import { formatMs } from '../progress-reporter.js';
import { milestoneText } from '../milestone-text.js';

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
      let history: HistoryEntry[];
      let audit: AuditEntry[];
      let metrics: ReturnType<MetricsStore['list']> | undefined;
      if (isPostgresUrl(cli.globals.db)) {
        if (options.metrics) throw new MfmigError('USAGE', '--metrics is not available on PostgreSQL yet (no metrics are recorded there)');
        ({ history, audit } = await postgresHistory(cli));
      } else {
        const framework = cli.openFramework({ mode: 'readonly', loadModules: false });
        const store = new HistoryStore(framework.context.adapter);
        history = store.list();
        audit = store.auditLog();
        metrics = options.metrics ? new MetricsStore(framework.context.adapter).list() : undefined;
      }
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
          if (metrics.length === 0) cli.out.line('No metrics recorded (set ENABLE_METRICS=true when migrating).');
          else
            cli.out.table(
              metrics.map((m) => ({
                at: m.recordedAt,
                step: m.step,
                dir: m.direction ?? '',
                took: formatMs(m.durationMs),
                rows: formatCount(m.rows),
                rate: formatCount(Math.round(m.rowsPerSecond)),
                peak: `${Math.round(m.peakMemory / 1048576)} MB`,
              })),
              [
                { key: 'at', label: 'Recorded at' },
                { key: 'step', label: 'Step' },
                { key: 'dir', label: 'Dir' },
                { key: 'took', label: 'Took', align: 'right' },
                { key: 'rows', label: 'Rows', align: 'right' },
                { key: 'rate', label: 'Rows/s', align: 'right' },
                { key: 'peak', label: 'Peak RSS', align: 'right' },
              ],
            );
        }
        if (audit.length > 0) {
          cli.out.line();
          cli.out.line('Audit log:');
          for (const a of audit) cli.out.line(`  ${a.at} ${a.action} v${a.version ?? '-'} by ${a.actor}: ${a.detail ?? ''}`);
        }
      });
    });
}
