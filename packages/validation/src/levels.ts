import type { IntegrityCheckLevel } from '@mfmig/core';
import { VALIDATION_CHECKS } from './checks/registry.js';
import { isCatalogCheck, isProbeCheck } from './checks/validation-check.js';

/** What one validation level runs, in words. */
export interface LevelDescription {
  level: IntegrityCheckLevel;
  /** What grows with the data at this level. */
  dataWork: string[];
  /** What reads only the catalog (milliseconds at any size). */
  catalogWork: string[];
}

/** The registry's descriptions are Markdown with inline code; here they are plain text. */
const plain = (description: string) => description.replace(/`/g, '');

function describeLevel(level: IntegrityCheckLevel): LevelDescription {
  const atLevel = VALIDATION_CHECKS.filter((c) => c.levels.includes(level));
  return {
    level,
    dataWork: atLevel.filter(isProbeCheck).map((c) => plain(c.description)),
    catalogWork: atLevel.filter((c) => isCatalogCheck(c) && c.operation === undefined).map((c) => plain(c.description)),
  };
}

/**
 * What each `INTEGRITY_CHECK_LEVEL` runs, from the check registry: the probes of the level
 * (`dataWork`) and the catalog checks every method that checks the database runs
 * (`catalogWork`, the same at every level). The data work grows from quick to comprehensive.
 *
 * @example
 * LEVEL_CHECKS.quick.dataWork[0]; // 'PRAGMA quick_check: pages, records and NOT NULL constraints, O(N)'
 */
export const LEVEL_CHECKS: Record<IntegrityCheckLevel, LevelDescription> = {
  quick: describeLevel('quick'),
  standard: describeLevel('standard'),
  comprehensive: describeLevel('comprehensive'),
};
