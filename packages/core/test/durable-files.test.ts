import { existsSync, lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@mfmig/test-support';
import { copyFileDurably, writeFileAtomic } from '@mfmig/core';

describe('files written in the backups folder', () => {
  it('writes a manifest through a new temporary file, never through a link planted under a temporary name', () => {
    const dir = tempDir();
    const outside = join(tempDir(), 'precious.txt');
    writeFileSync(outside, 'not yours\n');
    const manifest = join(dir, 'backup.json');
    // the name the temporary file used to have: the path plus this process's pid
    symlinkSync(outside, `${manifest}.tmp-${process.pid}`);
    writeFileAtomic(manifest, '{"ok":true}\n');
    expect(readFileSync(outside, 'utf8')).toBe('not yours\n');
    expect(lstatSync(manifest).isFile()).toBe(true);
    expect(readFileSync(manifest, 'utf8')).toBe('{"ok":true}\n');
    expect(readdirSync(dir).sort()).toEqual(['backup.json', `backup.json.tmp-${process.pid}`]);
  });

  it('copies only into a new file: a planted link or an existing file is refused, and stays as it was', () => {
    const dir = tempDir();
    const source = join(dir, 'source.db');
    writeFileSync(source, 'copy me');
    const outside = join(tempDir(), 'precious.db');
    writeFileSync(outside, 'not yours\n');
    const missing = join(tempDir(), 'missing.db');
    symlinkSync(outside, join(dir, 'linked.tmp'));
    symlinkSync(missing, join(dir, 'dangling.tmp'));
    writeFileSync(join(dir, 'existing.tmp'), 'mine');
    for (const target of ['linked.tmp', 'dangling.tmp', 'existing.tmp']) expect(() => copyFileDurably(source, join(dir, target))).toThrow(/EEXIST/);
    expect(readFileSync(outside, 'utf8')).toBe('not yours\n');
    expect(existsSync(missing)).toBe(false);
    expect(readFileSync(join(dir, 'existing.tmp'), 'utf8')).toBe('mine');
    expect(copyFileDurably(source, join(dir, 'fresh.db'))).toBe(7);
    expect(readFileSync(join(dir, 'fresh.db'), 'utf8')).toBe('copy me');
  });
});
