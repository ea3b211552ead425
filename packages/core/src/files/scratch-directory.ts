import { closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MfmigError } from '../errors/index.js';
import { currentUid, isPrivateFolder, othersCanReplaceEntries } from './folder-trust.js';

/** Prefix of every scratch folder's name. */
export const SCRATCH_PREFIX = 'mfmig-scratch-';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// O_EXCL makes open fail on any existing name, a link included; O_NOFOLLOW says so twice
const EXCLUSIVE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * A private folder for temporary files (samples, rehearsal copies, measurements): made with
 * `mkdtemp` (a name nobody can guess, mode 0700) inside `parent`, so that no other user can
 * read, plant or swap anything in it, with every file in it created exclusively (an existing
 * name, a planted link included, is an error, never followed). {@link dispose} removes the
 * folder with all it holds.
 *
 * A `parent` whose entries other users could replace (group- or world-writable without the
 * sticky bit, or owned by another user) is refused with `CONFIG_INVALID`: they could swap the
 * private folder itself.
 *
 * @example
 * const scratch = ScratchDirectory.create();
 * try {
 *   const copy = scratch.copyFile('./sample.db', 'rehearsal', '.db');
 *   // ... work on copy
 * } finally {
 *   scratch.dispose();
 * }
 */
export class ScratchDirectory {
  readonly path: string;
  #files = 0;

  private constructor(path: string) {
    this.path = path;
  }

  /** Makes a new private folder in `parent` (default: the system temp folder, `$TMPDIR`). */
  static create(parent: string = tmpdir()): ScratchDirectory {
    const where = resolve(parent);
    mkdirSync(where, { recursive: true });
    if (othersCanReplaceEntries(where)) {
      throw new MfmigError(
        'CONFIG_INVALID',
        `Temporary folder ${where} lets other users replace what is in it (it is writable by them and not sticky, or it is theirs); refused for temporary files`,
        {
          context: { file: where, reason: 'shared-temp-folder' },
        },
      );
    }
    const path = mkdtempSync(join(where, SCRATCH_PREFIX));
    if (!isPrivateFolder(path, currentUid())) {
      rmSync(path, { recursive: true, force: true });
      throw new MfmigError('INTERNAL', `Temporary folder ${path} was not created private to this user`, { context: { file: path } });
    }
    return new ScratchDirectory(path);
  }

  /**
   * Creates a new empty file `<stem>-<n><extension>` (mode 0600) and returns its path; a file
   * for SQLite to open as a new database.
   */
  createFile(stem: string, extension = ''): string {
    const path = this.#nextPath(stem, extension);
    closeSync(openSync(path, EXCLUSIVE, 0o600));
    return path;
  }

  /** Copies `source` to a new file `<stem>-<n><extension>` (never over an existing name) and returns its path. */
  copyFile(source: string, stem: string, extension = ''): string {
    const path = this.#nextPath(stem, extension);
    copyFileSync(source, path, constants.COPYFILE_EXCL);
    return path;
  }

  /** Removes the folder and everything in it (links are removed, never followed). Never throws. */
  dispose(): void {
    try {
      rmSync(this.path, { recursive: true, force: true });
    } catch {
      // cleanup must not hide the error that ended the work; a leftover private folder harms nobody
    }
  }

  #nextPath(stem: string, extension: string): string {
    const name = `${stem}-${++this.#files}${extension}`;
    if (!NAME.test(name)) throw new MfmigError('INTERNAL', `Unusable temporary file name ${JSON.stringify(name)}`);
    return join(this.path, name);
  }
}
