import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCRATCH_PREFIX, ScratchDirectory, isMfmigError } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

describe('ScratchDirectory', () => {
  it('makes a private folder with an unguessable name, and removes it with its SQLite side files', () => {
    const parent = tempDir();
    const scratch = ScratchDirectory.create(parent);
    expect(scratch.path.startsWith(join(parent, SCRATCH_PREFIX))).toBe(true);
    expect(statSync(scratch.path).mode & 0o777).toBe(0o700);
    const file = scratch.createFile('sample', '.db');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const db = new Database(file);
    db.pragma('journal_mode = wal');
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const copy = scratch.copyFile(file, 'rehearsal', '.db');
    expect(copy).not.toBe(file);
    expect(readdirSync(scratch.path).sort()).toEqual(['rehearsal-2.db', 'sample-1.db', 'sample-1.db-shm', 'sample-1.db-wal']);
    db.close();
    scratch.dispose();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('never writes through a link planted under the name of a file it creates', () => {
    const parent = tempDir();
    const outside = join(tempDir(), 'precious.db');
    writeFileSync(outside, 'not yours\n');
    const missing = join(tempDir(), 'missing.db');
    const scratch = ScratchDirectory.create(parent);
    // whoever could get into the folder: the names are predictable inside it, so exclusive creation must hold
    symlinkSync(outside, join(scratch.path, 'sample-1.db'));
    expect(() => scratch.createFile('sample', '.db')).toThrow(/EEXIST/);
    symlinkSync(missing, join(scratch.path, 'rehearsal-2.db'));
    const source = join(parent, 'source.db');
    writeFileSync(source, 'data');
    expect(() => scratch.copyFile(source, 'rehearsal', '.db')).toThrow(/EEXIST/);
    mkdirSync(join(scratch.path, 'calibration-3.db'));
    expect(() => scratch.createFile('calibration', '.db')).toThrow(/EEXIST/);
    scratch.dispose();
    expect(readFileSync(outside, 'utf8')).toBe('not yours\n');
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(parent)).toEqual(['source.db']);
  });

  it('refuses a parent folder where others could swap its private folder, and accepts a sticky one like /tmp', () => {
    const open = tempDir();
    chmodSync(open, 0o777);
    let thrown: unknown;
    try {
      ScratchDirectory.create(open);
    } catch (error) {
      thrown = error;
    }
    expect(isMfmigError(thrown) && thrown.code).toBe('CONFIG_INVALID');
    expect(readdirSync(open)).toEqual([]);
    const groupOpen = tempDir();
    chmodSync(groupOpen, 0o770);
    expect(() => ScratchDirectory.create(groupOpen)).toThrow(/other users/);
    const sticky = tempDir();
    chmodSync(sticky, 0o1777);
    const scratch = ScratchDirectory.create(sticky);
    expect(lstatSync(scratch.path).isDirectory()).toBe(true);
    scratch.dispose();
    expect(readdirSync(sticky)).toEqual([]);
  });
});
