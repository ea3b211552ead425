import { finding } from '../report/finding-codes.js';
import type { DatabaseStatistics } from '../report/types.js';
import { isInternalName } from '../schema/schema-model.js';
import type { ProbeTask } from './check-env.js';

/** A b-tree of at least this many leaf pages whose pages are at least this empty is reported. */
export const SPARSE_MIN_PAGES = 256;
export const SPARSE_UNUSED_RATIO = 0.5;

const SQL = `SELECT name, count(*) AS pages,
  sum(CASE WHEN prev IS NULL OR pageno = prev + 1 THEN 0 ELSE 1 END) AS outOfOrder,
  sum(unused) AS unused, sum(pgsize) AS size
FROM (SELECT name, pageno, unused, pgsize, lag(pageno) OVER (PARTITION BY name ORDER BY path) AS prev FROM dbstat WHERE pagetype = 'leaf')
GROUP BY name`;

/**
 * Comprehensive level: walks every page once through the `dbstat` table to measure, per
 * b-tree, how many leaf pages are out of order (fragmentation, reported as statistics: a
 * freshly filled database interleaves its tables and indexes, so this alone is no defect) and
 * how empty the pages are (`PERF_SPARSE_PAGES` when a large b-tree is at least half empty,
 * which VACUUM fixes).
 *
 * @example
 * const task = fragmentationProbe((f) => (statistics.fragmentation = f));
 */
export function fragmentationProbe(sink: (fragmentation: NonNullable<DatabaseStatistics['fragmentation']>) => void): ProbeTask {
  return {
    probe: { id: 'performance.fragmentation', sql: SQL, keep: 100_000, weight: 25 },
    check: { id: 'performance.fragmentation', kind: 'performance' },
    interpret: (result) => {
      const fragmentation: NonNullable<DatabaseStatistics['fragmentation']> = {};
      const findings = [];
      for (const row of result.rows) {
        const name = String(row.name);
        const pages = Number(row.pages);
        const unusedRatio = Number(row.size) > 0 ? Number(row.unused) / Number(row.size) : 0;
        fragmentation[name] = { pages, outOfOrder: Number(row.outOfOrder), unusedRatio: Math.round(unusedRatio * 1000) / 1000 };
        if (!isInternalName(name) && pages >= SPARSE_MIN_PAGES && unusedRatio >= SPARSE_UNUSED_RATIO) {
          findings.push(
            finding(
              'PERF_SPARSE_PAGES',
              `${name} uses ${pages} pages that are ${Math.round(unusedRatio * 100)}% empty on average`,
              'Run VACUUM in a maintenance window (or REINDEX for an index) to pack the pages',
              { object: name },
              { count: pages },
            ),
          );
        }
      }
      sink(fragmentation);
      return findings;
    },
  };
}
