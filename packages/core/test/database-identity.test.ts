import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, mkdtempSync, readFileSync, realpathSync, renameSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_TABLE, belongsToDatabase, ensureDatabaseIdentity, openDatabase, readDatabaseIdentity, readDatabaseIdentityAt } from '@mfmig/core';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function ensure(path: string) {
  const adapter = openDatabase(path);
  try {
    return ensureDatabaseIdentity(adapter);
  } finally {
    adapter.close();
  }
}

describe('database identity', () => {
  let dir: string;
  let a: string;

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'mfmig-identity-')));
    a = join(dir, 'a.db');
    const db = new Database(a);
    db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('valve');");
    db.close();
  });

  it('is read without writing, and created on the first write only', () => {
    const before = sha(a);
    expect(readDatabaseIdentityAt(a)).toMatchObject({ id: null, path: a, stored: null });
    const adapter = openDatabase(a, { mode: 'readonly' });
    expect(readDatabaseIdentity(adapter).id).toBeNull();
    adapter.close();
    expect(sha(a)).toBe(before);

    const first = ensure(a);
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.path).toBe(a);
    expect(sha(a)).not.toBe(before);
    const stamped = sha(a);
    expect(ensure(a)).toEqual(first);
    expect(sha(a)).toBe(stamped);
    expect(readDatabaseIdentityAt(a).id).toBe(first.id);
  });

  it('keeps its id when the file is renamed, and records the new path on the next write', () => {
    const { id } = ensure(a);
    const moved = join(dir, 'moved.db');
    renameSync(a, moved);
    expect(readDatabaseIdentityAt(moved)).toMatchObject({ id, path: moved, copyOf: null });
    expect(ensure(moved)).toEqual({ id, path: moved });
    const db = new Database(moved, { readonly: true });
    expect(db.prepare(`SELECT path FROM ${IDENTITY_TABLE}`).pluck().get()).toBe(moved);
    db.close();
  });

  it('treats a copy as having no id until written, then gives it an id of its own with its lineage', () => {
    const { id } = ensure(a);
    const copy = join(dir, 'copy.db');
    copyFileSync(a, copy);
    const before = sha(copy);
    expect(readDatabaseIdentityAt(copy)).toMatchObject({ id: null, path: copy, copyOf: a });
    expect(sha(copy)).toBe(before);
    const forked = ensure(copy);
    expect(forked.id).not.toBe(id);
    expect(readDatabaseIdentityAt(copy)).toMatchObject({ id: forked.id, copyOf: null, stored: { lineage: [{ id, path: a }] } });
    expect(readDatabaseIdentityAt(a).id).toBe(id);
  });

  it('is one database under several names: a symlink and a hard link are not copies', () => {
    const { id } = ensure(a);
    const link = join(dir, 'link.db');
    symlinkSync(a, link);
    expect(readDatabaseIdentityAt(link)).toMatchObject({ id, path: a });
    const hard = join(dir, 'hard.db');
    linkSync(a, hard);
    expect(readDatabaseIdentityAt(hard)).toMatchObject({ id, path: hard });
    expect(ensure(hard).id).toBe(id);
  });

  it('matches owners by id when both have one, else by real path', () => {
    const { id } = ensure(a);
    const self = readDatabaseIdentityAt(a);
    expect(belongsToDatabase({ id, path: '/elsewhere/old-name.db' }, self)).toBe(true);
    expect(belongsToDatabase({ id: 'another-id', path: a }, self)).toBe(false);
    expect(belongsToDatabase({ id: null, path: a }, self)).toBe(true);
    expect(belongsToDatabase({ id: null, path: join(dir, 'b.db') }, self)).toBe(false);
    expect(belongsToDatabase({ id, path: a }, { id: null, path: join(dir, 'b.db') })).toBe(false);
  });
});
