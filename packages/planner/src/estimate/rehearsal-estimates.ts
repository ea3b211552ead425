import { type MfmigError, type SqliteConnection, isMfmigError, messageOf } from '@mfmig/core';
import type { RehearsalFailure } from '../plan/plan-types.js';
import { median } from './median.js';
import { type RehearsalOptions, type RehearsalRun, type SampleFile, buildFullCopy, buildSampleFile, rehearse, removeSampleFile } from './rehearsal.js';

/** Rehearsals of the sample whose per-step median makes the estimate: one slow run (the machine is shared) cannot move it. */
const SAMPLE_RUNS = 3;

/** Step durations and row counts for the full database, extrapolated from rehearsals. */
export interface RehearsalEstimates {
  /** Seconds per step: its fixed cost (commits included) plus its data part at full size. */
  seconds: Map<number, number>;
  /** Seconds per step without data, with the live durability settings. */
  fixedSeconds: Map<number, number>;
  /** Tables whose rows grow with the data (lower-case). */
  scalingTables: Set<string>;
  /** Seconds of one small commit on this database's storage (0 without rehearsal); for the extra commits of batched transformations. */
  commitSeconds: number;
  countsAfter: Map<number, Map<string, number>>;
  /** Fractions of the live data the rehearsals ran on. */
  fractions: number[];
  /** The fraction the extrapolation starts from (1: the whole database was rehearsed). */
  fraction: number;
  notes: string[];
  /** A migration that failed in a rehearsal (then durations come from the model). */
  failure?: RehearsalFailure;
}

const ENVIRONMENT_CODES = new Set<MfmigError['code']>(['DISK_FULL', 'DATABASE_READONLY', 'DATABASE_NOT_FOUND', 'DATABASE_CORRUPT']);

/**
 * Whether a migration that failed on a sample would fail on the whole database. A partial
 * sample keeps every child row of the rows it takes, so lost rows, constraint failures and
 * dangling references found there are real; but it leaves out parents no sampled row points
 * at, which a migration may point rows at (a default category, say): a foreign-key violation
 * on a partial sample proves nothing. On the schema alone (after the data-bearing rehearsal
 * passed) only a schema-level failure is real. A failure of the machine the rehearsal ran on (a
 * full disk) says nothing about the migration.
 */
function provesFailure(error: MfmigError): boolean {
  const cause = error.cause;
  // the machine, not the migration: a full disk or a read-only file where the sample was written
  if (isMfmigError(cause) && ENVIRONMENT_CODES.has(cause.code)) return false;
  const fraction = Number(error.context.fraction ?? 0);
  if (fraction >= 1) return true;
  const check = isMfmigError(cause) ? cause.context.check : undefined;
  if (check === 'dangling-foreign-key') return true;
  if (fraction <= 0) return false;
  return check !== 'foreign-key-violation' && !/FOREIGN KEY constraint failed/i.test(messageOf(cause));
}

/** The failure of a migration in a rehearsal, or undefined when the rehearsal could not be set up or its failure proves nothing. */
function failureOf(error: unknown): RehearsalFailure | undefined {
  if (!isMfmigError(error) || error.code !== 'REHEARSAL_FAILED' || !provesFailure(error)) return undefined;
  const c = error.context;
  return {
    failed: true,
    version: Number(c.version),
    name: String(c.migration ?? ''),
    direction: c.direction === 'down' ? 'down' : 'up',
    statement: typeof c.statement === 'string' ? c.statement : null,
    message: String(c.reason ?? error.message),
    fraction: Number(c.fraction ?? 0),
  };
}

/**
 * The per-step median of repeated rehearsals of the same sample. Load on a shared machine
 * slows single runs, and the extrapolation multiplies a slow step by the inverse of the
 * sample fraction; a median of three needs two slow runs of the same step to move.
 */
function medianRun(runs: RehearsalRun[]): RehearsalRun {
  if (runs.length === 1) return runs[0]!;
  const perStep = (pick: (r: RehearsalRun) => Map<number, number>) =>
    new Map([...pick(runs[0]!).keys()].map((v) => [v, median(runs.map((r) => pick(r).get(v) ?? 0))]));
  return { ...runs[0]!, seconds: perStep((r) => r.seconds), cpuSeconds: perStep((r) => r.cpuSeconds), commitSeconds: median(runs.map((r) => r.commitSeconds)) };
}

/** The estimates when a rehearsal stopped: the failure it proves, if any, and a note saying why durations come from the model. */
function withoutRehearsal(estimates: RehearsalEstimates, error: unknown): RehearsalEstimates {
  const failure = failureOf(error);
  if (failure) estimates.failure = failure;
  const inconclusive = !failure && isMfmigError(error) && error.code === 'REHEARSAL_FAILED';
  estimates.notes.push(
    failure
      ? `The rehearsal failed at version ${failure.version}; durations come from the calibrated model`
      : inconclusive
        ? `The rehearsal on a sample failed (${messageOf(error)}), which rows the sample left out can cause; the run makes the same checks before each commit. Durations come from the calibrated model`
        : `No rehearsal: ${messageOf(error)}; durations come from the calibrated model`,
  );
  return estimates;
}

/** Value at fraction 1 of the line through (0, v0) and (f, v): the fixed part plus the part that grows with the data. */
function extrapolate(v0: number, f: number, v: number): number {
  if (f >= 1) return v;
  return v0 + Math.max(0, v - v0) / f;
}

/**
 * Rehearses the plan on a sample holding `sampleRows` rows in all (or the whole database when
 * it is that small) and on the schema alone (what every step costs without data), then puts
 * each step's time and each table's rows on the line through the two points: a fixed part plus
 * a part proportional to the data (the sample is built once and rehearsed three times, on fresh
 * copies, and each step takes its median). Both run without fsync; a last rehearsal on the schema alone
 * with the live durability settings gives the real fixed cost of each step (its commits). A smaller warm-up rehearsal runs first, so that neither
 * measurement pays for JIT compilation (an error the extrapolation would multiply). The
 * sample's page cache is the live one scaled by the same fraction, so that the sample outgrows
 * its cache as much as the full database outgrows its own.
 *
 * @example
 * const { seconds } = await rehearsalEstimates({ ...options, sampleRows: 40_000, totalRows: 4_100_000 });
 */
export async function rehearsalEstimates(
  options: Omit<RehearsalOptions, 'sample' | 'cacheKiB'> & { live: SqliteConnection; sampleRows: number; totalRows: number; liveCacheKiB: number },
): Promise<RehearsalEstimates> {
  const estimates: RehearsalEstimates = {
    seconds: new Map(),
    fixedSeconds: new Map(),
    scalingTables: new Set(),
    commitSeconds: 0,
    countsAfter: new Map(),
    fractions: [],
    fraction: 1,
    notes: [],
  };
  const fraction = options.totalRows <= options.sampleRows ? 1 : options.sampleRows / options.totalRows;
  if (fraction >= 1) return wholeDatabaseEstimates(options, estimates);
  let empty: RehearsalRun;
  let sample: RehearsalRun;
  let fixed: RehearsalRun;
  const built: SampleFile[] = [];
  const sampleOf = async (f: number) => {
    const file = await buildSampleFile(options.live, options.scratch, f);
    built.push(file);
    return file;
  };
  const on = (file: SampleFile, durable = false) =>
    rehearse({ ...options, sample: file, durable, cacheKiB: Math.max(64, options.liveCacheKiB * Math.max(file.fraction, fraction)) });
  try {
    if (fraction < 1) await on(await sampleOf(fraction / 4));
    const file = await sampleOf(fraction);
    const runs: RehearsalRun[] = [];
    for (let i = 0; i < SAMPLE_RUNS; i++) runs.push(await on(file));
    sample = medianRun(runs);
    const schemaOnly = await sampleOf(0);
    empty = await on(schemaOnly);
    fixed = await on(schemaOnly, true);
  } catch (error) {
    return withoutRehearsal(estimates, error);
  } finally {
    for (const file of built) removeSampleFile(file);
  }
  estimates.fractions = [0, fraction];
  estimates.fraction = fraction;
  estimates.commitSeconds = sample.commitSeconds;
  for (const [version, seconds] of sample.seconds) {
    const base = empty.seconds.get(version) ?? 0;
    const durable = fixed.seconds.get(version) ?? base;
    estimates.seconds.set(version, durable + Math.max(0, extrapolate(base, fraction, seconds) - base));
    estimates.fixedSeconds.set(version, durable);
    const counts = new Map<string, number>();
    for (const [table, rows] of sample.counts.get(version) ?? []) {
      const base = empty.counts.get(version)?.get(table) ?? 0;
      if (rows !== base) estimates.scalingTables.add(table);
      counts.set(table, Math.round(extrapolate(base, fraction, rows)));
    }
    estimates.countsAfter.set(version, counts);
  }
  return estimates;
}

/**
 * A database small enough to rehearse in full: one rehearsal on a copy of it measures each step
 * on the real data, plus the cost of one commit with the live durability settings (measured on
 * the copy; the rehearsal itself runs without fsync, which would cost more than the run). There is
 * nothing to extrapolate, so neither the schema-only rehearsals nor the repeats that keep
 * scaling errors down are needed, and the copy is one `VACUUM INTO` instead of a sample built
 * row by row. A failure there is a failure on the real data.
 */
async function wholeDatabaseEstimates(
  options: Omit<RehearsalOptions, 'sample' | 'cacheKiB'> & { live: SqliteConnection; liveCacheKiB: number },
  estimates: RehearsalEstimates,
): Promise<RehearsalEstimates> {
  let copy: SampleFile | undefined;
  let run: RehearsalRun;
  try {
    copy = await buildFullCopy(options.live, options.scratch);
    run = await rehearse({ ...options, sample: copy, commitSamples: 3, cacheKiB: Math.max(64, options.liveCacheKiB) });
  } catch (error) {
    return withoutRehearsal(estimates, error);
  } finally {
    if (copy) removeSampleFile(copy);
  }
  estimates.fractions = [1];
  estimates.commitSeconds = run.commitSeconds;
  for (const [version, seconds] of run.seconds) {
    // the rehearsal ran without fsync; the run commits each migration once with the live settings
    estimates.seconds.set(version, seconds + run.commitSeconds);
    estimates.fixedSeconds.set(version, seconds + run.commitSeconds);
    estimates.countsAfter.set(version, run.counts.get(version) ?? new Map());
  }
  return estimates;
}
