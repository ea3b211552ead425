import { messageOf } from '@mfmig/core';
import { type RehearsalOptions, type RehearsalRun, rehearse } from './rehearsal.js';

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
}

/** The per-step mean of repeated rehearsals of the same sample (load on a shared machine moves single runs). */
function averaged(runs: RehearsalRun[]): RehearsalRun {
  if (runs.length === 1) return runs[0]!;
  const mean = (pick: (r: RehearsalRun) => Map<number, number>) =>
    new Map([...pick(runs[0]!).keys()].map((v) => [v, runs.reduce((sum, r) => sum + (pick(r).get(v) ?? 0), 0) / runs.length]));
  return { ...runs[0]!, seconds: mean((r) => r.seconds), cpuSeconds: mean((r) => r.cpuSeconds) };
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
 * a part proportional to the data (the sample is rehearsed twice and averaged, when it is not
 * the whole database). Both run without fsync; a last rehearsal on the schema alone
 * with the live durability settings gives the real fixed cost of each step (its commits). A smaller warm-up rehearsal runs first, so that neither
 * measurement pays for JIT compilation (an error the extrapolation would multiply). The
 * sample's page cache is the live one scaled by the same fraction, so that the sample outgrows
 * its cache as much as the full database outgrows its own.
 *
 * @example
 * const { seconds } = await rehearsalEstimates({ ...options, sampleRows: 40_000, totalRows: 4_100_000 });
 */
export async function rehearsalEstimates(
  options: Omit<RehearsalOptions, 'fraction' | 'cacheKiB'> & { sampleRows: number; totalRows: number; liveCacheKiB: number },
): Promise<RehearsalEstimates> {
  const estimates: RehearsalEstimates = { seconds: new Map(), fixedSeconds: new Map(), scalingTables: new Set(), commitSeconds: 0, countsAfter: new Map(), fractions: [], fraction: 1, notes: [] };
  const fraction = options.totalRows <= options.sampleRows ? 1 : options.sampleRows / options.totalRows;
  let empty: RehearsalRun;
  let sample: RehearsalRun;
  const at = (f: number, durable = false) => rehearse({ ...options, fraction: f, durable, cacheKiB: Math.max(64, options.liveCacheKiB * Math.max(f, fraction)) });
  let fixed: RehearsalRun;
  try {
    if (fraction < 1) await at(fraction / 4);
    const runs = [await at(fraction)];
    if (fraction < 1) runs.push(await at(fraction));
    sample = averaged(runs);
    empty = await at(0);
    fixed = await at(0, true);
  } catch (error) {
    estimates.notes.push(`No rehearsal: ${messageOf(error)}; durations come from the calibrated model`);
    return estimates;
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
