import { MfmigError, type MigrationSet, type RepeatableMigration, type ServiceContext, resolveTargetVersion } from '@mfmig/core';
import {
  type ReplayedVersion,
  type SchemaChange,
  type SchemaDiff,
  type SchemaSnapshot,
  diffSnapshots,
  introspectSchema,
  replaySchemaVersions,
  replayVersionWithRepeatables,
  replayedSnapshot,
} from '@mfmig/schema-evolution';
import { readLiveSchema } from './live-schema.js';
import { detectedToolTables } from './tools/tool-history-readers.js';

/** Options of a baseline (see {@link analyzeBaseline}). */
export interface BaselineOptions {
  /** Adopt at this version instead of the one whose schema matches. */
  to?: number;
  /** Adopt at `to` even though its schema differs from the live one. Needs `to`. */
  force?: boolean;
  /** Find the version and report it; write nothing. */
  dryRun?: boolean;
}

/**
 * How the live schema compares with the versions: `exact` (the chosen version's schema equals
 * it), `differs` (a version was stated and its schema differs), `ambiguous` (several versions
 * match and none was stated), `none` (no version matches and none was stated).
 */
export type BaselineMatch = 'exact' | 'differs' | 'ambiguous' | 'none';

/** What {@link analyzeBaseline} found. Read-only: nothing was written. */
export interface BaselineAnalysis {
  match: BaselineMatch;
  /** The version to adopt at: the stated one, or the single match; null when there is none. */
  version: number | null;
  /** Every version whose schema equals the live one, ascending. */
  candidates: number[];
  /** With no match: the version whose schema is nearest to the live one, and how many changes apart. */
  closest: { version: number; differences: number } | null;
  /** Changes from the chosen version's schema to the live one (empty on an exact match). */
  differences: SchemaChange[];
  /** The full diff from the chosen version's schema to the live one, when a version was chosen. */
  diff: SchemaDiff | null;
  liveHash: string;
  /** Set when a migration failed on an empty database: versions from it on could not be compared. */
  replayError: string | null;
}

/** The analysis together with what adopting needs (internal to the baseline). */
export interface BaselineGround {
  analysis: BaselineAnalysis;
  set: MigrationSet;
  versions: ReplayedVersion[];
  live: SchemaSnapshot;
  /** The repeatable migrations the match includes: the live schema has what they make. */
  repeatables: RepeatableMigration[];
}

/**
 * Finds the version an existing database (tables, no migration history) is at: the migrations
 * are replayed on an empty in-memory database and the normalised live schema (user objects
 * only) is compared with the schema after each version. Writes nothing.
 *
 * @example
 * const analysis = await analyzeBaseline(framework.context, {});
 * if (analysis.match === 'exact') console.log(`at version ${analysis.version}`);
 */
export async function analyzeBaseline(ctx: ServiceContext, options: Pick<BaselineOptions, 'to'> = {}): Promise<BaselineAnalysis> {
  return (await groundBaseline(ctx, options)).analysis;
}

/**
 * {@link analyzeBaseline}, keeping the replay for the adoption. `leaveOut`: tables left out of
 * the live schema compared (another tool's history tables). `repeatables`: repeatable migrations
 * the live schema may have had applied after the versioned ones (default: the folder's); when the
 * stated version, or with none stated and no match the latest, matches only with them, they count
 * as part of its schema (views and triggers of Flyway `R__` scripts no longer block adoption).
 */
export async function groundBaseline(
  ctx: ServiceContext,
  options: Pick<BaselineOptions, 'to'>,
  leaveOut: readonly string[] = [],
  repeatables?: readonly RepeatableMigration[],
): Promise<BaselineGround> {
  const file = ctx.connection.target;
  if ((await ctx.connection.history.list()).length > 0) {
    throw new MfmigError('ADOPTION_REFUSED', `Database ${file} already has a migration history; there is nothing to adopt`, {
      context: { file, reason: 'has-history' },
    });
  }
  // another tool's history tables are no part of the application's schema
  const left = [...leaveOut, ...(await detectedToolTables(ctx.connection))];
  const live = left.length === 0 ? introspectSchema(ctx.connection) : readLiveSchema(ctx.connection, left).compared;
  if (live.tables.length === 0) {
    throw new MfmigError('USAGE', `Database ${file} has no tables; there is nothing to adopt, migrate it instead`, { context: { file } });
  }
  const set = await ctx.loadMigrations();
  if (options.to !== undefined) {
    if (options.to === 0) throw new MfmigError('USAGE', 'Version 0 is the empty schema; an existing database cannot be adopted there');
    options = { ...options, to: resolveTargetVersion(set, { version: options.to }) };
  }
  const replay = await replaySchemaVersions(set);
  const { versions } = replay;
  const stated = options.to === undefined ? undefined : versions.find((v) => v.version === options.to);
  if (options.to !== undefined && !stated) {
    throw new MfmigError('MIGRATION_FAILED', `Cannot compute the schema of version ${options.to}: ${replay.error?.message ?? 'it did not replay'}`, {
      cause: replay.error,
      context: { version: options.to },
    });
  }
  let candidates = versions.filter((v) => v.hash === live.hash).map((v) => v.version);
  let chosen = stated ?? (candidates.length === 1 ? versions.find((v) => v.version === candidates[0]) : undefined);
  const withRepeatables = await matchWithRepeatables(set, versions, live, stated, candidates, repeatables ?? set.repeatables ?? []);
  if (withRepeatables) {
    chosen = withRepeatables;
    candidates = [withRepeatables.version];
    versions.splice(
      versions.findIndex((v) => v.version === withRepeatables.version),
      1,
      withRepeatables,
    );
  }
  const diff = chosen ? diffSnapshots(replayedSnapshot(chosen), live) : null;
  const match: BaselineMatch = diff ? (diff.identical ? 'exact' : 'differs') : candidates.length > 1 ? 'ambiguous' : 'none';
  const analysis: BaselineAnalysis = {
    match,
    version: chosen?.version ?? null,
    candidates,
    closest: match === 'none' ? closestVersion(versions, live) : null,
    differences: diff?.changes ?? [],
    diff,
    liveHash: live.hash,
    replayError: replay.error?.message ?? null,
  };
  return { analysis, set, versions, live, repeatables: withRepeatables ? [...(repeatables ?? set.repeatables ?? [])] : [] };
}

/**
 * The stated version (or, with none stated and no match, the latest) replayed with the
 * repeatable migrations after it, when that, and only that, equals the live schema.
 */
async function matchWithRepeatables(
  set: MigrationSet,
  versions: ReplayedVersion[],
  live: SchemaSnapshot,
  stated: ReplayedVersion | undefined,
  candidates: number[],
  repeatables: readonly RepeatableMigration[],
): Promise<ReplayedVersion | null> {
  if (repeatables.length === 0) return null;
  const at = stated ?? (candidates.length === 0 ? versions.at(-1) : undefined);
  if (!at || at.hash === live.hash) return null;
  const replayed = await replayVersionWithRepeatables(set, at.version, repeatables);
  return replayed?.hash === live.hash ? replayed : null;
}

/** The version whose schema needs the fewest changes to become the live one (the latest on a tie). */
function closestVersion(versions: ReplayedVersion[], live: SchemaSnapshot): BaselineAnalysis['closest'] {
  let best: BaselineAnalysis['closest'] = null;
  for (const v of versions) {
    const differences = diffSnapshots(replayedSnapshot(v), live).changes.length;
    if (!best || differences <= best.differences) best = { version: v.version, differences };
  }
  return best;
}
