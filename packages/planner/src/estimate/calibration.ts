import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ScratchDirectory, type SqliteThroughput, measureSqliteThroughput, sqliteLibraryVersion, userCacheDirectory, userCacheRoot } from '@mfmig/core';
import { removeDatabaseFiles } from './database-files.js';

/** Throughput of representative operations measured on this machine (seconds per row, seconds per statement; see core's `SqliteThroughput`), with where and when. */
export interface Calibration extends SqliteThroughput {
  format: 1;
  /** Host, CPU, Node.js and SQLite versions: a calibration is reused only on the machine that made it. */
  machine: string;
  measuredAt: string;
}

/**
 * Where calibrations are kept unless told otherwise: `$XDG_CACHE_HOME/mfmig/calibration.json` (default `~/.cache/mfmig`). Never in the user's database.
 *
 * @example
 * defaultCalibrationPath({ XDG_CACHE_HOME: '/tmp/cache' }); // '/tmp/cache/mfmig/calibration.json'
 */
export function defaultCalibrationPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userCacheRoot(env), 'calibration.json');
}

/**
 * {@link defaultCalibrationPath} when its folder is private to this user (created with mode
 * 0700 when missing), or undefined when it cannot be made or trusted (a read-only home, a folder
 * others can write to): then no calibration is read or stored, and each process measures its own.
 *
 * @example
 * const path = privateCalibrationPath(); // '/home/ana/.cache/mfmig/calibration.json', or undefined
 */
export function privateCalibrationPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = userCacheDirectory(undefined, { env });
  return dir === undefined ? undefined : join(dir, 'calibration.json');
}

/**
 * What identifies this machine for calibration purposes.
 *
 * @example
 * machineFingerprint(); // 'host | AMD EPYC | 2 | v20.20.2 | 3.53.2'
 */
export function machineFingerprint(): string {
  return [hostname(), cpus()[0]?.model ?? 'cpu', cpus().length, process.version, sqliteLibraryVersion()].join(' | ');
}

/**
 * Reads a stored calibration when it was made on this machine (and is not older than
 * `maxAgeDays`); undefined otherwise.
 *
 * @example
 * const calibration = loadCalibration(defaultCalibrationPath()) ?? measureCalibration();
 */
export function loadCalibration(path: string, maxAgeDays = 30): Calibration | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Calibration;
    if (parsed.format !== 1 || parsed.machine !== machineFingerprint()) return undefined;
    if (Date.now() - Date.parse(parsed.measuredAt) > maxAgeDays * 86_400_000) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/**
 * Stores a calibration (written to a new temporary file beside it, then renamed: never half a
 * file, and never through a link planted under the temporary name).
 *
 * @example
 * saveCalibration(defaultCalibrationPath(), measureCalibration());
 */
export function saveCalibration(path: string, calibration: Calibration): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(calibration, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Measures the throughput of representative operations on a temporary database file in the
 * private folder `scratch` (default: a private folder of its own in the system temp folder;
 * the file is removed afterwards) with core's `measureSqliteThroughput`: a copy by `INSERT ... SELECT` (wide and narrow rows), an index build,
 * a row function in keyset pages, an UPDATE, a DELETE, a table rebuild, a scan, a DROP TABLE,
 * a migration's fixed cost, and how much a copy slows down when the table outgrows the page
 * cache. Takes about a second for the default 30 000 rows.
 *
 * @example
 * saveCalibration(defaultCalibrationPath(), measureCalibration());
 */
export function measureCalibration(options: { scratch?: ScratchDirectory; rows?: number } = {}): Calibration {
  if (!options.scratch) {
    const scratch = ScratchDirectory.create();
    try {
      return measureCalibration({ ...options, scratch });
    } finally {
      scratch.dispose();
    }
  }
  const file = options.scratch.createFile('calibration', '.db');
  try {
    const measured = measureSqliteThroughput(file, options.rows ?? 30_000);
    return { format: 1, machine: machineFingerprint(), measuredAt: new Date().toISOString(), ...measured };
  } finally {
    removeDatabaseFiles(file);
  }
}
