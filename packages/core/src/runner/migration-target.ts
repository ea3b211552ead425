import { MfmigError } from '../errors/index.js';
import type { Migration, MigrationSet } from '../migration/index.js';

/** Where a run should end: the latest version, a version, or a milestone. */
export type MigrationTarget = { latest: true } | { version: number } | { mvp: number };

/**
 * The version that stands for "before every migration": 0, or -1 when the folder has a
 * migration numbered 0 (so that `--to 0` still means "none" and reverts it too).
 */
export function noneVersion(set: MigrationSet): number {
  return set.byVersion.has(0) ? -1 : 0;
}

/**
 * The version a target stands for ({@link noneVersion} = before any migration; `{ version: 0 }`
 * always means that). A version that is no migration's ordering key but is one's label (Flyway's
 * `2` for `V2__`, key 2000000) stands for that migration.
 */
export function resolveTargetVersion(set: MigrationSet, target: MigrationTarget): number {
  if ('latest' in target) return set.migrations.at(-1)?.version ?? noneVersion(set);
  if ('version' in target) {
    if (target.version === noneVersion(set)) return target.version;
    if (!Number.isSafeInteger(target.version) || target.version < 0) {
      throw new MfmigError('TARGET_UNKNOWN', `Target version ${String(target.version)} is not a valid version number`);
    }
    if (target.version !== 0 && !set.byVersion.has(target.version)) {
      // Flyway's `--to 2` names the file V2__, whose ordering key is 2000000
      const labelled = set.migrations.find((m) => m.versionLabel === String(target.version));
      if (labelled) return labelled.version;
      const known = set.migrations.map((m) => m.version);
      throw new MfmigError(
        'TARGET_UNKNOWN',
        `Unknown target version ${target.version}; known versions are ${known.length ? `${known[0]}..${known.at(-1)}` : 'none'} (or 0 for none)`,
      );
    }
    return target.version === 0 ? noneVersion(set) : target.version;
  }
  if (!Number.isSafeInteger(target.mvp) || target.mvp < 0) {
    throw new MfmigError('TARGET_UNKNOWN', `Target milestone ${String(target.mvp)} is not a valid milestone number`);
  }
  if (set.milestones.length === 0) {
    throw new MfmigError(
      'TARGET_UNKNOWN',
      `This migrations folder has no milestones (a flat ${set.format} folder): target a version, or configure milestones as version ranges`,
      { context: { reason: 'no-milestones' } },
    );
  }
  if (target.mvp === 0) return noneVersion(set);
  if (!set.milestones.includes(target.mvp)) {
    throw new MfmigError(
      'TARGET_UNKNOWN',
      `Unknown target milestone MVP${target.mvp}; this migrations folder has ${set.milestones.map((m) => `MVP${m}`).join(', ') || 'none'}`,
    );
  }
  const inOrBelow = set.migrations.filter((m: Migration) => m.mvp <= target.mvp);
  return inOrBelow.at(-1)?.version ?? noneVersion(set);
}

/** Migrations to apply (ascending) to reach `targetVersion` from the applied set. */
export function upSteps(set: MigrationSet, applied: Set<number>, targetVersion: number): Migration[] {
  return set.migrations.filter((m) => m.version <= targetVersion && !applied.has(m.version));
}

/** Applied versions to revert (descending) to go down to `targetVersion`. */
export function downVersions(applied: Iterable<number>, targetVersion: number): number[] {
  return [...applied].filter((v) => v > targetVersion).sort((a, b) => b - a);
}
