import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { currentUid, isPrivateFolder, othersCanReplaceEntries } from './folder-trust.js';

/** Options of {@link userCacheDirectory}. */
export interface UserCacheOptions {
  /** Environment to read `XDG_CACHE_HOME` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The user the folder must belong to. Default: this process's. */
  uid?: number;
}

/**
 * mfmig's folder in the user's cache: `$XDG_CACHE_HOME/mfmig` (an absolute `XDG_CACHE_HOME`
 * only, as the XDG spec says), else `~/.cache/mfmig`. Only the path; see {@link userCacheDirectory}.
 *
 * @example
 * userCacheRoot({ XDG_CACHE_HOME: '/home/ana/.cache' }); // '/home/ana/.cache/mfmig'
 */
export function userCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'mfmig');
}

/**
 * mfmig's cache folder (or its sub-folder `name`), created with mode 0700 when missing, or
 * undefined when it cannot be trusted or made: it or `mfmig/` is a link, belongs to another
 * user, or is writable by others; the folder holding `mfmig/` lets others replace its entries;
 * or it cannot be created (a read-only home). A cache is an optimisation: callers work
 * without one. Never throws.
 *
 * @example
 * const dir = userCacheDirectory('jiti'); // '/home/ana/.cache/mfmig/jiti', or undefined
 */
export function userCacheDirectory(name?: string, options: UserCacheOptions = {}): string | undefined {
  const root = userCacheRoot(options.env);
  const dir = name === undefined ? root : join(root, name);
  const uid = options.uid ?? currentUid();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (othersCanReplaceEntries(dirname(root), uid)) return undefined;
    for (const folder of name === undefined ? [root] : [root, dir]) if (!isPrivateFolder(folder, uid)) return undefined;
    return dir;
  } catch {
    // no cache folder (a read-only or missing home): the caller works without one
    return undefined;
  }
}
