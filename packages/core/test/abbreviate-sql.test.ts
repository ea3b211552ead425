import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { abbreviateSql, isMfmigError, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

/** The message of the error `adapter.exec(sql)` throws on a real database file. */
function failureOf(sql: string): string {
  const adapter = openDatabase(join(tempDir(), 'kb.db'), { create: true });
  try {
    adapter.raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    adapter.exec(sql);
  } catch (error) {
    if (isMfmigError(error)) return error.message;
    throw error;
  } finally {
    adapter.close();
  }
  throw new Error('the statement did not fail');
}

describe('the statement in an error message', () => {
  it('leaves out a comment before it and a block comment inside it', () => {
    const message = failureOf('-- Drop the original table\nDROP TABLE /* the old one */ bookmark;');
    expect(message).toContain('Statement failed: DROP TABLE bookmark;');
    expect(message).not.toContain('--');
    expect(message).not.toContain('/*');
    expect(message).not.toContain('original');
  });

  it('keeps comment markers inside string literals and quoted identifiers', () => {
    const message = failureOf("-- fill in\nINSERT INTO notes (id, \"body\") VALUES (1, 'a -- b /* c */'), (1, 'dup') -- trailing");
    expect(message).toContain(`Statement failed: INSERT INTO notes (id, "body") VALUES (1, 'a -- b /* c */'), (1, 'dup')`);
    expect(message).not.toContain('fill in');
    expect(message).not.toContain('trailing');
  });
});

describe('abbreviateSql', () => {
  it('makes one line and cuts at the limit', () => {
    expect(abbreviateSql('SELECT a,\n       b\n  FROM   t')).toBe('SELECT a, b FROM t');
    expect(abbreviateSql(`SELECT ${'x'.repeat(200)}`, 20)).toBe(`SELECT ${'x'.repeat(12)}…`);
    expect(abbreviateSql(`SELECT ${'x'.repeat(200)}`, 20)).toHaveLength(20);
  });

  it('keeps [bracketed] identifiers whole and a statement of nothing but comments readable', () => {
    expect(abbreviateSql('SELECT [a--b] FROM t -- why')).toBe('SELECT [a--b] FROM t');
    expect(abbreviateSql('-- only a note\n')).toBe('-- only a note');
  });
});
