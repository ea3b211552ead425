import type { ParticipantReport } from '@mfmig/core';
import { formatCount } from '@mfmig/core';
import type { Output } from '../output.js';

/**
 * One line per thing a run's participants did: rows a transformation moved or reversed, rows a
 * down archived, rows an up restored from an archive.
 *
 * @example
 * renderReports(cli.out, result.reports);
 */
export function renderReports(out: Output, reports: readonly ParticipantReport[]): void {
  for (const r of reports) {
    const rows = `${formatCount(r.rows)} row(s)`;
    if (r.kind === 'transformed') out.line(`  ${r.version}: ${String(r.id)} wrote ${rows} into ${r.table ?? '?'}`);
    else if (r.kind === 'reversed') out.line(`  ${r.version}: reversed ${String(r.id)} (${rows})`);
    else if (r.kind === 'preserved') out.line(`  ${r.version}: kept ${rows} of ${r.table ?? '?'} (${String(r.lossKind)}) in ${String(r.location)}`);
    else if (r.kind === 'restored') out.line(`  ${r.version}: restored ${rows} of ${r.table ?? '?'} from its archive`);
  }
}
