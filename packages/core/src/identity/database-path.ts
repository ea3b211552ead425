import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The real path of a database file: symlinks resolved when the file exists, else the absolute
 * path. Two names of one file give one path.
 *
 * @example
 * realDatabasePath('./kb.db'); // '/srv/app/kb.db'
 */
export function realDatabasePath(path: string): string {
  const absolute = resolve(path);
  try {
    return existsSync(absolute) ? realpathSync(absolute) : absolute;
  } catch {
    // a path we may not resolve (permissions): its absolute form is the best name we have
    return absolute;
  }
}

/**
 * True when both paths name the same existing file (also through a hard link).
 *
 * @example
 * isSameFile('./kb.db', './kb-link.db'); // true for a hard link of kb.db
 */
export function isSameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
