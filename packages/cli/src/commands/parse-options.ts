import { InvalidArgumentError } from 'commander';
import { flywayVersionKey, isMfmigError } from '@mfmig/core';

/** Commander parser for a whole number option (`--rows 1000`). */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number');
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('is too large');
  return n;
}

/** Commander parser for a positive whole number option (`--step 2`). */
export function positiveWholeNumber(value: string): number {
  const n = wholeNumber(value);
  if (n === 0) throw new InvalidArgumentError('must be a positive whole number (1 or more)');
  return n;
}

/**
 * Commander parser for a version option (`--to 7`): a whole number, or a Flyway label such as
 * `1.1`, which stands for its ordering key (`1001000`).
 */
export function versionNumber(value: string): number {
  if (!/^\d+([._]\d+){1,2}$/.test(value.trim())) return wholeNumber(value);
  try {
    return flywayVersionKey(value.trim());
  } catch (error) {
    throw new InvalidArgumentError(isMfmigError(error) ? 'is not a version mfmig can order (at most 1.2.3, parts 2 and 3 below 1000)' : String(error));
  }
}

/** Commander parser for a non-negative number of seconds (`--downtime-threshold 2.5`). */
export function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new InvalidArgumentError('must be a number of seconds, 0 or more');
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('is too large');
  return n;
}

/** The `--downtime-threshold` option of the commands that plan (`plan`, `migrate`). */
export const DOWNTIME_THRESHOLD_HELP = "a step that blocks writers longer than this many seconds means downtime (default 5, SQLite's default busy timeout)";

/** Commander parser for a list of versions (`--accept-checksum 7,8`). */
export function versionList(value: string, previous: number[] = []): number[] {
  return [...previous, ...value.split(',').map((v) => wholeNumber(v))];
}

export { type TargetOptions, addTargetOptions, targetFrom } from './target-options.js';
