import { fragmentationProbe } from '../fragmentation-check.js';
import { checkCriticalQuery, readStatistics } from '../performance-check.js';
import { type CatalogCheck, EVERY_LEVEL, type ProbeCheck } from '../validation-check.js';

/** The plans of the declared critical queries, and the storage figures. */
export const PERFORMANCE_CHECKS: (CatalogCheck | ProbeCheck)[] = [
  {
    id: 'performance.critical_query',
    kind: 'performance',
    levels: EVERY_LEVEL,
    codes: ['PERF_QUERY_SCAN', 'PERF_QUERY_INVALID'],
    where: 'catalog',
    description: '`EXPLAIN QUERY PLAN` of every declared critical query, one check each (needs migrationsPath)',
    run: async ({ check, env, state, rec }) => {
      if (env.requirements) {
        for (const query of env.requirements.queries) await rec.guard({ ...check, target: query.name }, () => checkCriticalQuery(env, query));
      } else {
        rec.skip(
          check,
          state.migrations ? 'no-history' : 'no-migrations',
          'critical queries are declared per milestone; the milestone of this database is unknown',
        );
      }
    },
  },
  {
    id: 'performance.statistics',
    kind: 'performance',
    levels: EVERY_LEVEL,
    codes: ['PERF_FREELIST'],
    where: 'catalog',
    description: 'page size, page count and free pages',
    run: async ({ check, env, rec, out }) => {
      const stats = await rec.attempt(check, () => readStatistics(env));
      if (stats) rec.add(stats.findings);
      out.statistics = stats?.statistics ?? null;
    },
  },
  {
    id: 'performance.fragmentation',
    kind: 'performance',
    levels: ['comprehensive'],
    codes: ['PERF_SPARSE_PAGES'],
    where: 'probe',
    description: 'one `dbstat` pass: page order (fragmentation, reported as statistics) and page fill of every b-tree',
    levelSkip: { message: 'page-level fragmentation (dbstat) is measured at the comprehensive level' },
    probes: {
      stage: 'milestone',
      tasks: ({ out }) => [
        fragmentationProbe((f) => {
          if (out.statistics) out.statistics.fragmentation = f;
        }),
      ],
    },
  },
];
