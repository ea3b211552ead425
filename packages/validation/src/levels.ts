import type { IntegrityCheckLevel } from '@mfmig/core';

/** What one validation level runs, in words. */
export interface LevelDescription {
  level: IntegrityCheckLevel;
  /** What grows with the data at this level. */
  dataWork: string[];
  /** What reads only the catalog (milliseconds at any size). */
  catalogWork: string[];
}

const CATALOG = [
  'history: checksums, missing and partially applied migrations',
  'schema against the schema the applied migrations produce (needs migrationsPath)',
  'milestone compliance: declared tables, columns, indexes and views (needs migrationsPath)',
  'foreign keys whose parent table is missing or whose parent columns are not a key',
  'foreign key columns without an index (child tables of largeTableRows rows or more), redundant indexes',
  'EXPLAIN QUERY PLAN of every declared critical query',
  'page size, page count, free pages',
];

/**
 * What each `INTEGRITY_CHECK_LEVEL` runs. Every level runs the catalog checks; the data work
 * grows from quick to comprehensive.
 *
 * @example
 * LEVEL_CHECKS.quick.dataWork; // ['PRAGMA quick_check', 'PRAGMA foreign_key_check, per child table']
 */
export const LEVEL_CHECKS: Record<IntegrityCheckLevel, LevelDescription> = {
  quick: {
    level: 'quick',
    dataWork: ['PRAGMA quick_check', 'PRAGMA foreign_key_check, per child table'],
    catalogWork: CATALOG,
  },
  standard: {
    level: 'standard',
    dataWork: [
      'PRAGMA quick_check',
      'PRAGMA foreign_key_check, per child table',
      'one scan per table for the rules a row can break alone: CHECK constraints, declared domains, declared required columns the schema leaves nullable',
      'duplicates where uniqueness is declared but not enforced (GROUP BY), orphans of declared references without a FOREIGN KEY',
    ],
    catalogWork: CATALOG,
  },
  comprehensive: {
    level: 'comprehensive',
    dataWork: [
      'PRAGMA integrity_check (instead of quick_check: adds index-vs-table and UNIQUE verification)',
      'PRAGMA foreign_key_check, per child table',
      'declared data, as at standard',
      'dbstat: per b-tree page order (fragmentation) and page fill',
    ],
    catalogWork: CATALOG,
  },
};
