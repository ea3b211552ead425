import { chmodSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userCacheDirectory, userCacheRoot } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

const me = process.getuid!();

describe('userCacheDirectory', () => {
  it('creates $XDG_CACHE_HOME/mfmig/<name> private to the user, and ignores a relative XDG_CACHE_HOME', () => {
    const cache = tempDir();
    const dir = userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: cache } });
    expect(dir).toBe(join(cache, 'mfmig', 'jiti'));
    expect(statSync(dir!).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache, 'mfmig')).mode & 0o777).toBe(0o700);
    expect(userCacheRoot({ XDG_CACHE_HOME: 'relative/cache' })).toBe(join(homedir(), '.cache', 'mfmig'));
  });

  it('refuses a folder others can write to, one that is a link, and one that belongs to someone else', () => {
    const writable = tempDir();
    mkdirSync(join(writable, 'mfmig', 'jiti'), { recursive: true });
    chmodSync(join(writable, 'mfmig', 'jiti'), 0o777);
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: writable } })).toBeUndefined();
    chmodSync(join(writable, 'mfmig', 'jiti'), 0o700);
    chmodSync(join(writable, 'mfmig'), 0o775);
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: writable } })).toBeUndefined();
    chmodSync(join(writable, 'mfmig'), 0o700);
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: writable } })).toBe(join(writable, 'mfmig', 'jiti'));

    const linked = tempDir();
    mkdirSync(join(linked, 'elsewhere'));
    symlinkSync(join(linked, 'elsewhere'), join(linked, 'mfmig'));
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: linked } })).toBeUndefined();

    // the folder is this process's user's; asked on behalf of another user, it is not theirs
    const owned = tempDir();
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: owned }, uid: me })).toBeDefined();
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: owned }, uid: me + 1 })).toBeUndefined();

    // a cache home whose entries anyone may replace: they could swap mfmig/ for their own folder
    const shared = tempDir();
    chmodSync(shared, 0o777);
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: shared } })).toBeUndefined();
  });

  it('is undefined, without throwing, when the cache cannot be created', () => {
    const home = tempDir();
    writeFileSync(join(home, 'not-a-folder'), '');
    expect(userCacheDirectory('jiti', { env: { XDG_CACHE_HOME: join(home, 'not-a-folder') } })).toBeUndefined();
    expect(readdirSync(home)).toEqual(['not-a-folder']);
  });
});
