import { type StepMetric, formatCount } from '@mfmig/core';
import type { Output } from './output.js';
import { formatMs } from './progress-reporter.js';

/**
 * The per-step metrics of `mfmig history --metrics` as a table, the same on every database; says
 * how to record them when there are none.
 *
 * @example
 * renderMetrics(cli.out, await conn.metrics.list());
 */
export function renderMetrics(out: Output, metrics: readonly StepMetric[]): void {
  if (metrics.length === 0) {
    out.line('No metrics recorded (set ENABLE_METRICS=true when migrating).');
    return;
  }
  out.table(
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
