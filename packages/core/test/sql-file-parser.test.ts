import { describe, expect, it } from 'vitest';
import { checksumMigration, isMfmigError, parseSqlMigration } from '@mfmig/core';

describe('parseSqlMigration', () => {
  it('reads dbmate sections and the header', () => {
    const parsed = parseSqlMigration(
      '-- description: Add things\n-- foreign-keys: off\n\n-- migrate:up transaction:false\nCREATE TABLE t (x);\n-- migrate:down\nDROP TABLE t;\n',
      'f.sql',
    );
    expect(parsed).toEqual({
      meta: { description: 'Add things', foreignKeys: 'off' },
      transactions: { up: 'none' },
      upSql: 'CREATE TABLE t (x);',
      downSql: 'DROP TABLE t;',
      lines: { up: 5, down: 7 },
    });
  });

  it("gives each section's first file line, after the blank lines trimmed from its start", () => {
    expect(parseSqlMigration('-- migrate:up\n\n\n  CREATE TABLE t (x);\n-- migrate:down\nDROP TABLE t;\n', 'f.sql').lines).toEqual({ up: 4, down: 6 });
  });

  it('treats an empty down section as no down', () => {
    expect(parseSqlMigration('-- migrate:up\nSELECT 1;\n-- migrate:down\n-- nothing\n', 'f.sql').downSql).toBeUndefined();
  });

  it.each([
    ['no up section', '-- migrate:down\nDROP TABLE t;'],
    ['down before up', '-- migrate:down\nx;\n-- migrate:up\ny;'],
    ['two up sections', '-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;'],
    ['SQL before the up marker', 'CREATE TABLE t (x);\n-- migrate:up\nSELECT 1;'],
    ['an empty up section', '-- migrate:up\n-- nothing here\n-- migrate:down\nSELECT 1;'],
    ['a bad header value', '-- transaction: sometimes\n-- migrate:up\nSELECT 1;'],
    ['an unknown marker option', '-- migrate:up retries:3\nSELECT 1;'],
  ])('rejects %s with a coded error naming the file', (_what, text) => {
    try {
      parseSqlMigration(text, 'mvp1/0001_x.sql');
      expect.unreachable();
    } catch (error) {
      expect(isMfmigError(error) && error.code).toBe('MIGRATION_INVALID');
      expect((error as Error).message).toContain('mvp1/0001_x.sql');
    }
  });
});

describe('checksumMigration', () => {
  it('ignores line endings, a BOM and trailing whitespace, not content', () => {
    const unix = '-- migrate:up\nCREATE TABLE t (x);\n';
    expect(checksumMigration('\uFEFF-- migrate:up\r\nCREATE TABLE t (x);  \r\n\r\n')).toBe(checksumMigration(unix));
    expect(checksumMigration('-- migrate:up\rCREATE TABLE t (x);')).toBe(checksumMigration(unix));
    expect(checksumMigration(unix.replace('x', 'y'))).not.toBe(checksumMigration(unix));
  });
});
