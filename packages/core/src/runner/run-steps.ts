import { MfmigError } from '../errors/index.js';
import type { HistoryEntry } from '../history/index.js';
import { type Migration, type MigrationSet, migrationLabel } from '../migration/index.js';
import { type MigrationTarget, downVersions, resolveTargetVersion, upSteps } from './migration-target.js';

/**
 * The migrations an up run to `target` applies, in order: the partly applied ones first (their
 * continued work), then every unapplied one up to the target. Reads the history it is given.
 *
 * @example
 * pendingSteps(set, await conn.history.list(), { mvp: 3 }).map((m) => m.version); // [5, 6, 7]
 */
export function pendingSteps(
  set: MigrationSet,
  history: readonly Pick<HistoryEntry, 'version' | 'status'>[],
  target: MigrationTarget = { latest: true },
): Migration[] {
  const targetVersion = resolveTargetVersion(set, target);
  const partial = history.filter((h) => h.status === 'partial').map((h) => set.byVersion.get(h.version));
  return [...(partial.filter(Boolean) as Migration[]), ...upSteps(set, new Set(history.map((h) => h.version)), targetVersion)];
}

/**
 * The migrations a down run to `target` reverts, newest first. Throws MIGRATION_MISSING for an
 * applied version the folder lacks and NO_DOWN_MIGRATION for one without a down.
 *
 * @example
 * revertSteps(set, await conn.history.list(), { version: 2 }).map((m) => m.version); // [4, 3]
 */
export function revertSteps(set: MigrationSet, history: readonly Pick<HistoryEntry, 'version'>[], target: MigrationTarget): Migration[] {
  const targetVersion = resolveTargetVersion(set, target);
  return downVersions(
    history.map((h) => h.version),
    targetVersion,
  ).map((v) => revertible(set, v));
}

function revertible(set: MigrationSet, version: number): Migration {
  const m = set.byVersion.get(version);
  if (!m) throw new MfmigError('MIGRATION_MISSING', `Applied migration version ${version} is missing from the migrations folder; it cannot be reverted`);
  if (!m.down) {
    throw new MfmigError('NO_DOWN_MIGRATION', `Migration ${migrationLabel(m)} has no down migration; it cannot be reverted (restore a backup instead)`, {
      context: { version: m.version, migration: m.name, file: m.file },
    });
  }
  return m;
}
