import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MfmigError } from '../errors/mfmig-error.js';

/** As many links as the kernel follows before it gives up (Linux `MAXSYMLINKS`). */
const MAX_LINKS = 40;

/**
 * The file a path names in the end: every symbolic link on the way resolved, also when the last
 * one points at a file that does not exist yet (a deployment's `current.db -> releases/v8.db`
 * before the release is written). Work that replaces a file (a restore) does it here, so that the
 * link stays a link and the file it points at gets the new content.
 *
 * @example
 * realFilePath('./current.db'); // '/srv/app/releases/v7.db'
 */
export function realFilePath(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      // nothing there (yet): the name in its real folder is the file
      isLink = false;
    }
    if (!isLink) return join(realFolder(dirname(current)), basename(current));
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw new MfmigError('USAGE', `${path} goes through more than ${MAX_LINKS} symbolic links; it names no file`, { context: { file: path } });
}

function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    // a folder that does not exist or cannot be resolved: its absolute path is the best name
    return folder;
  }
}
