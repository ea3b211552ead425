import { MfmigError } from '../errors/index.js';
import type { HistoryEntry, MigrationFailure, RepeatableEntry } from '../history/index.js';
import { type Migration, type MigrationSet, migrationLabel } from '../migration/index.js';
import type { RunnableConnection } from '../dialect/dialect.js';

/** Something wrong between the migrations folder and the history. */
export interface StatusProblem {
  code: 'CHECKSUM_MISMATCH' | 'MIGRATION_MISSING' | 'OUT_OF_ORDER' | 'PARTIAL' | 'UNKNOWN_MILESTONE' | 'MIGRATION_FAILED' | 'RUN_NOT_REVERTED';
  version: number;
  severity: 'error' | 'warning';
  message: string;
}

/** Where a database stands against a migrations folder. */
export interface MigrationStatus {
  /** Highest applied version, 0 when none (`applied` is then empty; a migration numbered 0 can be the one applied). */
  currentVersion: number;
  /** The milestone folder of the highest applied migration (0 when none): where the database is, even part-way through a milestone. */
  currentVersionMvp: number;
  /**
   * Highest milestone n such that every migration of milestones 1..n is applied, 0 when none, and
   * always 0 in a folder without milestones (see `hasMilestones`).
   */
  currentMvp: number;
  /** False for a flat folder with no milestones configured: every `mvp` field is then 0 and means "no milestone". */
  hasMilestones: boolean;
  /** The format the migrations folder was read as. */
  format: MigrationSet['format'];
  latestVersion: number;
  latestMvp: number;
  applied: { version: number; name: string; mvp: number; checksum: string; appliedAt: string; status: HistoryEntry['status'] }[];
  /** `versionLabel` is the version as the folder writes it when that differs (Flyway's `1.1`). */
  pending: { version: number; name: string; mvp: number; versionLabel?: string }[];
  /**
   * Repeatable migrations whose current content was never applied (never run, or edited since),
   * in the order they run; empty when the applied ones were not given to `computeStatus`.
   */
  pendingRepeatables: { name: string; applied: boolean }[];
  problems: StatusProblem[];
}

/**
 * Compares the history (a set of applied versions) with the migrations folder.
 *
 * @example
 * const status = computeStatus(set, history.list());
 * status.pending.length; // migrations still to apply
 */
export function computeStatus(set: MigrationSet, history: HistoryEntry[], failures: MigrationFailure[] = [], repeatables?: RepeatableEntry[]): MigrationStatus {
  const applied = new Map(history.map((h) => [h.version, h]));
  const currentVersion = history.reduce((max, h) => Math.max(max, h.version), 0);
  const problems: StatusProblem[] = [];
  for (const h of history) {
    const m = set.byVersion.get(h.version);
    if (!m) {
      problems.push({
        code: 'MIGRATION_MISSING',
        version: h.version,
        severity: 'error',
        message: `Applied migration ${migrationLabel(h)} (mvp${h.mvp}) is missing from the migrations folder`,
      });
    } else if (m.checksum !== h.checksum) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        version: h.version,
        severity: 'error',
        message: `Applied migration ${migrationLabel(m)} was edited after it was applied (checksum ${h.checksum.slice(0, 12)} recorded, ${m.checksum.slice(0, 12)} now)`,
      });
    }
    if (h.status === 'partial') {
      problems.push({
        code: 'PARTIAL',
        version: h.version,
        severity: 'warning',
        message: `Migration ${migrationLabel(h)} is partially applied (a batched data transformation was interrupted); \`mfmig migrate\` resumes it`,
      });
    }
  }
  for (const f of failures) {
    const m = set.byVersion.get(f.version);
    if (f.notReverted) {
      // ended by a rollback below it, a newer migration on top, or the version applied again since
      const row = applied.get(f.version);
      if (f.version !== currentVersion || !row || row.appliedAt > f.at) continue;
      problems.push({
        code: 'RUN_NOT_REVERTED',
        version: f.version,
        severity: 'error',
        message: `The run that applied up to ${m ? migrationLabel(m) : `version ${f.version}`} failed at ${f.at} and could not be taken back, so the database holds its changes: ${f.message}. Restore a backup (\`mfmig restore\`), roll back (\`mfmig rollback --to <version>\`) or apply a fixing migration`,
      });
      continue;
    }
    if (!m || applied.has(f.version) !== (f.direction === 'down')) continue;
    problems.push({
      code: 'MIGRATION_FAILED',
      version: f.version,
      severity: 'warning',
      message: `Migration ${migrationLabel(m)} (mvp${m.mvp}, ${f.direction}) failed at ${f.at} and was rolled back: ${f.message}`,
    });
  }
  const pending = set.migrations.filter((m) => !applied.has(m.version));
  for (const m of pending) {
    if (m.version < currentVersion) {
      problems.push({
        code: 'OUT_OF_ORDER',
        version: m.version,
        severity: 'warning',
        message: `Pending migration ${migrationLabel(m)} is older than the current version ${currentVersion}; it will be applied by the next migrate`,
      });
    }
  }
  return {
    currentVersion,
    currentMvp: milestoneReached(set, applied),
    hasMilestones: set.milestones.length > 0,
    format: set.format,
    currentVersionMvp: history.length === 0 ? 0 : (set.byVersion.get(currentVersion)?.mvp ?? history.find((h) => h.version === currentVersion)?.mvp ?? 0),
    latestVersion: set.migrations.at(-1)?.version ?? 0,
    latestMvp: set.milestones.at(-1) ?? 0,
    applied: history.map((h) => ({
      version: h.version,
      name: h.name,
      mvp: h.mvp,
      checksum: h.checksum,
      appliedAt: h.appliedAt,
      status: h.status,
    })),
    pending: pending.map((m) => ({ version: m.version, name: m.name, mvp: m.mvp, ...(m.versionLabel === undefined ? {} : { versionLabel: m.versionLabel }) })),
    pendingRepeatables: repeatables ? pendingRepeatables(set, repeatables) : [],
    problems,
  };
}

function milestoneReached(set: MigrationSet, applied: Map<number, HistoryEntry>): number {
  let reached = 0;
  for (const mvp of set.milestones) {
    const ms = set.migrations.filter((m: Migration) => m.mvp === mvp);
    if (ms.length === 0 || !ms.every((m) => applied.get(m.version)?.status === 'applied')) break;
    reached = mvp;
  }
  return reached;
}

function pendingRepeatables(set: MigrationSet, applied: RepeatableEntry[]): MigrationStatus['pendingRepeatables'] {
  const checksums = new Map(applied.map((e) => [e.name, e.checksum]));
  return (set.repeatables ?? [])
    .filter((r) => checksums.get(r.name) !== r.checksum)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((r) => ({ name: r.name, applied: checksums.has(r.name) }));
}

/**
 * Refuses a run while the history and the folder disagree: an edited applied migration not
 * accepted, or an applied migration missing from the folder. `accept` lists the versions whose
 * edits are accepted (each must really have a mismatch); `acceptHint` says how a user accepts one.
 *
 * @example
 * assertNothingBlocks(status, [], '--accept-checksum'); // throws CHECKSUM_MISMATCH when a file was edited
 */
export function assertNothingBlocks(status: MigrationStatus, accept: number[], acceptHint: string): void {
  for (const version of accept) {
    if (!status.problems.some((p) => p.version === version && p.code === 'CHECKSUM_MISMATCH')) {
      throw new MfmigError('USAGE', `Version ${version} has no checksum mismatch to accept`);
    }
  }
  const blocking = status.problems.filter((p) => (p.code === 'CHECKSUM_MISMATCH' && !accept.includes(p.version)) || p.code === 'MIGRATION_MISSING');
  if (blocking.length === 0) return;
  const first = blocking[0]!;
  const how = first.code === 'CHECKSUM_MISMATCH' ? `restore the file, or accept the edit (${acceptHint})` : 'restore the missing file from version control';
  throw new MfmigError(
    first.code as 'CHECKSUM_MISMATCH' | 'MIGRATION_MISSING',
    `${first.message}; ${how}${blocking.length > 1 ? ` (and ${blocking.length - 1} more problem(s))` : ''}`,
    { context: { version: first.version, problems: blocking } },
  );
}

/**
 * Where the database behind `conn` stands against `set` ({@link computeStatus} over its history,
 * failures and repeatables), on either dialect. Reads only.
 *
 * @example
 * const { currentVersion, pending } = await readStatus(ctx.connection, await ctx.loadMigrations());
 */
export async function readStatus(conn: RunnableConnection, set: MigrationSet): Promise<MigrationStatus> {
  const { history } = conn;
  return computeStatus(set, await history.list(), await history.failures(), await history.repeatables());
}
