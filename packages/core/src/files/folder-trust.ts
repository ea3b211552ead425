import { lstatSync, statSync } from 'node:fs';

/**
 * The user this process runs as, or undefined where there are no POSIX owners (Windows: there
 * the per-user folders are private by their access lists, and modes mean nothing).
 */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * True when `path` is a real folder (not a link to one) that only `uid` can change: owned by
 * `uid` and writable by neither its group nor others. Always true without POSIX owners.
 *
 * @example
 * isPrivateFolder(join(os.homedir(), '.cache', 'mfmig')); // true after mkdirSync(..., { mode: 0o700 })
 */
export function isPrivateFolder(path: string, uid: number | undefined = currentUid()): boolean {
  try {
    const stat = lstatSync(path);
    if (!stat.isDirectory()) return false;
    return uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0);
  } catch {
    return false;
  }
}

/**
 * True when someone other than `uid` (and root) could rename, delete or replace the entries of
 * the folder `path` (a link to it is followed): it belongs to another user, or its group or
 * others may write to it without the sticky bit that `/tmp` has. A private folder made inside
 * such a folder could be swapped for a link to anywhere.
 *
 * @example
 * othersCanReplaceEntries('/tmp'); // false: sticky, so only an entry's owner may remove it
 */
export function othersCanReplaceEntries(path: string, uid: number | undefined = currentUid()): boolean {
  if (uid === undefined) return false;
  const stat = statSync(path);
  if (stat.uid !== uid && stat.uid !== 0) return true;
  return (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
}
