import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '@mfmig/core';
import { assertDatabaseIntact } from '@mfmig/framework';
import { tempDir } from './helpers.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function setup() {
  const file = join(tempDir(), 'kb.db');
  const adapter = openDatabase(file, { create: true });
  adapter.raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const other = new Database(file);
  closers.push(() => other.close(), () => adapter.close());
  const prepare = vi.spyOn(adapter.raw, 'prepare');
  const checks = () => prepare.mock.calls.filter(([sql]) => /quick_check/i.test(String(sql))).length;
  return { adapter, other, checks };
}

describe('assertDatabaseIntact', () => {
  it('does not read the file again while nothing changed since a passed check', () => {
    const { adapter, checks } = setup();
    assertDatabaseIntact(adapter);
    assertDatabaseIntact(adapter);
    expect(checks()).toBe(1);
  });

  it("checks again after a write or a schema change by its own connection, or a schema change by another, not after an application's commits", () => {
    const { adapter, other, checks } = setup();
    assertDatabaseIntact(adapter);
    other.prepare('INSERT INTO t (v) VALUES (?)').run('from the application');
    assertDatabaseIntact(adapter);
    expect(checks()).toBe(1);
    adapter.raw.prepare('INSERT INTO t (v) VALUES (?)').run('from here');
    assertDatabaseIntact(adapter);
    expect(checks()).toBe(2);
    adapter.raw.exec('CREATE INDEX t_v ON t (v)');
    assertDatabaseIntact(adapter);
    expect(checks()).toBe(3);
    other.exec('CREATE TABLE elsewhere (id INTEGER PRIMARY KEY)');
    assertDatabaseIntact(adapter);
    expect(checks()).toBe(4);
    assertDatabaseIntact(adapter);
    expect(checks()).toBe(4);
  });
});
