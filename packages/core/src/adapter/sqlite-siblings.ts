import { existsSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { copyFileDurably, unlinkQuietly } from '../files/durable-fs.js';
import { isProcessAlive } from '../lock/process-identity.js';

/** Files SQLite keeps beside a database: the write-ahead log, its index, the rollback journal. */
export const SQLITE_SIBLING_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

/**
 * The sibling files that exist beside a database file now.
 *
 * @example
 * existingSiblings('./kb.db'); // ['./kb.db-wal', './kb.db-shm']
 */
export function existingSiblings(path: string): string[] {
  return SQLITE_SIBLING_SUFFIXES.map((suffix) => `${path}${suffix}`).filter((p) => existsSync(p));
}

/**
 * Moves the sibling files of a database to `targetBase` + suffix (or deletes them when no target
 * is given). Used after the live file was checkpointed and closed, or when it is too damaged to open.
 */
export function moveSiblings(path: string, targetBase?: string): string[] {
  const moved: string[] = [];
  for (const sibling of existingSiblings(path)) {
    const suffix = sibling.slice(path.length);
    if (targetBase) {
      const target = `${targetBase}${suffix}`;
      try {
        renameSync(sibling, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        copyFileDurably(sibling, target);
        unlinkQuietly(sibling);
      }
      moved.push(target);
    } else {
      unlinkQuietly(sibling);
    }
  }
  return moved;
}

/** Name of a temporary file beside `path`, owned by this process. */
export function tempPathBeside(path: string, purpose: string): string {
  return join(dirname(path), `.${basename(path)}.${purpose}-${process.pid}.tmp`);
}

/** Removes temporary files beside `path` left by a process that is gone (a killed restore). */
export function removeStaleTemps(path: string, purpose: string): string[] {
  const prefix = `.${basename(path)}.${purpose}-`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return removed;
  }
  for (const name of names) {
    const suffix = ['.tmp', '.tmp-journal'].find((end) => name.endsWith(end));
    if (!name.startsWith(prefix) || !suffix) continue;
    const pid = Number(name.slice(prefix.length, -suffix.length));
    if (!Number.isInteger(pid) || (pid !== process.pid && isProcessAlive(pid, null))) continue;
    unlinkQuietly(join(dirname(path), name));
    removed.push(name);
  }
  return removed;
}
