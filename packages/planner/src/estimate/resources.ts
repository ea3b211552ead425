import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LiveFacts } from '../analysis/live-database.js';
import type { MigrationPlan } from '../plan/plan-types.js';
import type { Calibration } from './calibration.js';

/** A reason the plan cannot run as it is. */
export interface ResourceError {
  code: 'DISK_FULL';
  message: string;
}

/** What a plan needs from the machine. Bytes, except cores. */
export interface ResourceEstimate {
  storage: {
    /** How much the database file (and its journal) grows at most during the plan. */
    additionalSpaceRequired: number;
    /** Space of the backup taken before the run (a full copy of the database). */
    backupSpaceRequired: number;
    /** Free space on the database's file system now. */
    freeSpace: number;
  };
  memory: { peakMemoryUsage: number };
  cpu: { recommendedCores: number; reason: string };
  errors: ResourceError[];
}

/**
 * Derives disk, memory and CPU needs from a plan and the table sizes: rows written times their
 * size (new tables, copies, transformations), full copies for rebuilds plus the rollback journal
 * of the largest step, a backup as large as the database; memory for SQLite's page cache plus a
 * batch of rows held by row functions; one core for SQLite (single-threaded), a second when the
 * application keeps running alongside a long plan.
 *
 * @example
 * const resources = estimateResources(plan, readLiveFacts(adapter), calibration);
 * if (resources.errors.length) console.error(resources.errors[0].message);
 */
export function estimateResources(
  plan: MigrationPlan,
  facts: LiveFacts,
  calibration: Calibration,
  diskSpace: (path: string) => number = freeBytes,
): ResourceEstimate {
  const bytes = (table: string | undefined) => (table ? facts.rowBytes[table.toLowerCase()] : undefined) ?? calibration.rowBytes;
  let growth = 0;
  let journalPeak = 0;
  let rowBatchBytes = 0;
  for (const step of plan.steps) {
    let stepJournal = 0;
    for (const op of step.operations) {
      if (op.kind === 'table-rebuild' || op.kind === 'drop-column') {
        growth += op.rows * bytes(op.table);
        stepJournal += op.rows * bytes(op.table);
      } else if (op.kind === 'create-index') {
        growth += op.rows * 48;
      } else if (op.rowsWritten > 0) {
        growth += op.rowsWritten * bytes(op.table);
      } else if (op.kind === 'update' || op.kind === 'delete' || (op.kind === 'transformation' && op.flags.transformationType === 'enrich')) {
        stepJournal += op.rows * bytes(op.table);
      }
      if (op.flags.rowFunction) rowBatchBytes = Math.max(rowBatchBytes, 10_000 * bytes(op.source) * 4);
    }
    journalPeak = Math.max(journalPeak, stepJournal);
  }
  const additional = Math.round(growth + journalPeak);
  const backup = facts.sizeBytes;
  const freeSpace = diskSpace(dirname(resolve(facts.path === ':memory:' || facts.path === '' ? '.' : facts.path)));
  const errors: ResourceError[] = [];
  if (additional + backup > freeSpace) {
    errors.push({
      code: 'DISK_FULL',
      message: `The plan needs about ${mb(additional)} more for the database and ${mb(backup)} for the backup, but only ${mb(freeSpace)} is free on the database's file system`,
    });
  }
  const long = plan.estimatedSeconds > plan.downtimeThresholdSeconds && !plan.requiresDowntime;
  return {
    storage: { additionalSpaceRequired: additional, backupSpaceRequired: backup, freeSpace },
    memory: { peakMemoryUsage: Math.round(process.memoryUsage().rss + facts.cacheBytes + rowBatchBytes) },
    cpu: {
      recommendedCores: long ? 2 : 1,
      reason: long ? 'one for SQLite (single-threaded), one for the application that keeps running during a long plan' : 'SQLite migrates on one thread',
    },
    errors,
  };
}

/**
 * Bytes available to this user on the file system holding `path`.
 *
 * @example
 * freeBytes('/var/lib/kb'); // 80_000_000_000
 */
export function freeBytes(path: string): number {
  const stat = statfsSync(path);
  return Number(stat.bavail) * Number(stat.bsize);
}

function mb(n: number): string {
  return `${(n / 1_048_576).toFixed(1)} MB`;
}
