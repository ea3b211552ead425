import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumMigration, isMfmigError, normaliseMigrationText, parseSqlMigration, resolveConfig, splitSqlStatements } from '@mfmig/core';

/** Anything thrown must be a coded MfmigError, never a TypeError or a RangeError. */
function expectOnlyMfmigErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isMfmigError(error)) throw error;
  }
}

const sqlish = fc.oneof(
  fc.string(),
  fc.array(
    fc.constantFrom('-- migrate:up', '-- migrate:down', '-- migrate:up transaction:false', '-- description: x', '-- foreign-keys: off', '-- foreign-keys: ?', 'CREATE TABLE t (x);', "SELECT ';';", '/* ; */', '"a;b"', 'BEGIN', 'END;', '\r\n', '\uFEFF', '-- migrate:', '--'),
    { maxLength: 12 },
  ).map((parts) => parts.join('\n')),
);

describe('fuzzing', () => {
  it('the SQL migration parser either parses or throws a coded error', () => {
    fc.assert(
      fc.property(sqlish, (text) => {
        expectOnlyMfmigErrors(() => {
          const parsed = parseSqlMigration(text, 'mvp1/0001_fuzz.sql');
          expect(parsed.upSql.length).toBeGreaterThan(0);
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('the statement splitter never loses or invents code', () => {
    fc.assert(
      fc.property(sqlish, (text) => {
        const statements = splitSqlStatements(text);
        const squash = (s: string) => s.replace(/[\s;]/g, '');
        for (const s of statements) expect(text.replace(/[\s;]/g, '')).toContain(squash(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('the checksum normaliser is idempotent and blind to line endings', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('\n', '\r\n', '\r'), (text, eol) => {
        const normalised = normaliseMigrationText(text);
        expect(normaliseMigrationText(normalised)).toBe(normalised);
        expect(checksumMigration(text.replace(/\r\n|\r|\n/g, eol))).toBe(checksumMigration(text.replace(/\r\n|\r|\n/g, '\n')));
      }),
      { numRuns: 2000 },
    );
  });

  it('config validation rejects every bad environment value with CONFIG_INVALID', () => {
    const names = ['MIGRATION_PATH', 'BACKUP_PATH', 'ENABLE_LOGGING', 'ENABLE_METRICS', 'VALIDATION_TIMEOUT', 'INTEGRITY_CHECK_LEVEL', 'ROLLBACK_SAFETY_CHECKS', 'EMERGENCY_CONTACTS'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.string({ maxLength: 30 })), (env) => {
        try {
          resolveConfig({ database: 'fuzz.db' }, env);
        } catch (error) {
          expect(isMfmigError(error) && error.code).toBe('CONFIG_INVALID');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('config validation rejects bad options with CONFIG_INVALID', () => {
    fc.assert(
      fc.property(fc.record({ batchSize: fc.anything(), lockTimeout: fc.anything(), integrityCheckLevel: fc.anything() }, { requiredKeys: [] }), (options) => {
        try {
          resolveConfig({ database: 'fuzz.db', ...(options as object) }, {});
        } catch (error) {
          expect(isMfmigError(error) && error.code).toBe('CONFIG_INVALID');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
