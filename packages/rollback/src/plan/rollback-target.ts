import { MfmigError, type MigrationSet, type MigrationStatus, type MigrationTarget, resolveTargetVersion } from '@mfmig/core';

/**
 * A rollback target: a version number, `{ version }`, `{ mvp }`, or `{ steps: n }` (undo the n
 * newest applied migrations; `{ steps: 1 }` is "the last migration").
 */
export type RollbackTarget = number | { version: number } | { mvp: number } | { steps: number };

/**
 * The version a rollback target stands for, given the migrations and where the database stands.
 * `{ steps: n }` counts applied versions (the history is a set, not a high-water mark): it ends
 * just below the n-th newest, or before every migration when n equals the number applied. `n`
 * must be a positive whole number no larger than that number (`USAGE` otherwise); nothing is
 * changed either way.
 *
 * @example
 * resolveRollbackTarget(migrations, status, { steps: 1 }); // applied 1, 2, 5 -> 2
 */
export function resolveRollbackTarget(migrations: MigrationSet, status: MigrationStatus, target: RollbackTarget): number {
  if (typeof target === 'object' && 'steps' in target) return versionBeforeSteps(migrations, status, target.steps);
  return resolveTargetVersion(migrations, toMigrationTarget(target));
}

/** The core target a version, `{ version }` or `{ mvp }` rollback target stands for. */
export function toMigrationTarget(target: Exclude<RollbackTarget, { steps: number }>): MigrationTarget {
  return typeof target === 'number' ? { version: target } : target;
}

function versionBeforeSteps(migrations: MigrationSet, status: MigrationStatus, steps: number): number {
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new MfmigError('USAGE', `The number of migrations to roll back must be a positive whole number, not ${String(steps)}`);
  }
  const applied = status.applied.map((a) => a.version).sort((a, b) => b - a);
  if (steps > applied.length) {
    throw new MfmigError(
      'USAGE',
      `Cannot roll back ${steps} migration(s): only ${applied.length} ${applied.length === 1 ? 'is' : 'are'} applied; nothing was rolled back`,
    );
  }
  return steps === applied.length ? resolveTargetVersion(migrations, { version: 0 }) : applied[steps]!;
}
