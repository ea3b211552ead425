import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_ENVIRONMENT_VARIABLES,
  MIGRATION_FORMATS,
  checksumMigration,
  isMfmigError,
  normaliseMigrationText,
  parseSqlMigration,
  resolveConfig,
  splitSqlStatements,
} from '@mfmig/core';

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
  fc
    .array(
      fc.constantFrom(
        '-- migrate:up',
        '-- migrate:down',
        '-- migrate:up transaction:false',
        '-- description: x',
        '-- foreign-keys: off',
        '-- foreign-keys: ?',
        'CREATE TABLE t (x);',
        "SELECT ';';",
        '/* ; */',
        '"a;b"',
        'BEGIN',
        'END;',
        '\r\n',
        '\uFEFF',
        '-- migrate:',
        '--',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('\n')),
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
});

/** Text that is blank once trimmed but not empty (an empty variable counts as unset). */
const blank = fc.array(fc.constantFrom(' ', '\t', '\n', '\r'), { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
/** Any text that is not blank once trimmed and not one of `allowed`. */
const noneOf = (allowed: readonly string[]) => fc.string({ minLength: 1, maxLength: 30 }).filter((v) => v.trim() !== '' && !allowed.includes(v.trim()));
const padded = (value: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '\t'), value, fc.constantFrom('', ' ', '\n')).map(([a, v, b]) => `${a}${v}${b}`);

const BOOLEANS = ['true', 'false', '1', '0', 'yes', 'no'] as const;
const FORMATS = [...MIGRATION_FORMATS];
const LEVELS = ['quick', 'standard', 'comprehensive'] as const;
const notAWholeNumber = fc.oneof(
  noneOf([]).filter((v) => !/^\d+$/.test(v.trim())),
  fc.integer({ min: -1_000_000, max: -1 }).map(String),
  fc
    .double({ min: 0.001, max: 1e6, noNaN: true })
    .filter((d) => !Number.isInteger(d))
    .map(String),
  fc.constantFrom('1e3', '0x10', '+5', '5 000', '1_000', 'Infinity', 'NaN'),
);

/** Every variable the configuration reads, with values it must refuse and values it must take (and what they give). */
const VARIABLES = {
  MIGRATION_PATH: { field: 'migrationsPath', bad: blank, good: fc.string({ minLength: 1 }).filter((v) => v.trim() !== ''), expected: (v: string) => v.trim() },
  BACKUP_PATH: { field: 'backupPath', bad: blank, good: fc.string({ minLength: 1 }).filter((v) => v.trim() !== ''), expected: (v: string) => v.trim() },
  ENABLE_LOGGING: { field: 'enableLogging', bad: noneOf(BOOLEANS), good: padded(fc.constantFrom(...BOOLEANS)), expected: asBoolean },
  ENABLE_METRICS: { field: 'enableMetrics', bad: noneOf(BOOLEANS), good: padded(fc.constantFrom(...BOOLEANS)), expected: asBoolean },
  ROLLBACK_SAFETY_CHECKS: { field: 'rollbackSafetyChecks', bad: noneOf(BOOLEANS), good: padded(fc.constantFrom(...BOOLEANS)), expected: asBoolean },
  VALIDATION_TIMEOUT: {
    field: 'validationTimeout',
    bad: fc.oneof(notAWholeNumber, fc.constant('0'), fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 30n }).map(String)),
    good: padded(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String)),
    expected: (v: string) => Number(v.trim()),
  },
  BACKUP_RETENTION: {
    field: 'backupRetention',
    bad: fc.oneof(notAWholeNumber, fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 30n }).map(String)),
    good: padded(fc.integer({ min: 0, max: 1_000 }).map(String)),
    expected: (v: string) => Number(v.trim()),
  },
  MIGRATION_FORMAT: { field: 'format', bad: noneOf(FORMATS), good: padded(fc.constantFrom(...FORMATS)), expected: (v: string) => v.trim() },
  INTEGRITY_CHECK_LEVEL: { field: 'integrityCheckLevel', bad: noneOf(LEVELS), good: padded(fc.constantFrom(...LEVELS)), expected: (v: string) => v.trim() },
  // any text is a list of contacts: there is no bad value to generate
  EMERGENCY_CONTACTS: {
    field: 'emergencyContacts',
    bad: undefined,
    good: fc
      .array(
        fc.string({ minLength: 1, maxLength: 12 }).filter((c) => !c.includes(',') && c.trim() !== ''),
        { maxLength: 4 },
      )
      .map((cs) => cs.join(', ')),
    expected: (v: string) =>
      v
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
  },
} as const;
type Variable = keyof typeof VARIABLES;
const NAMES = Object.keys(VARIABLES) as Variable[];

function asBoolean(v: string): boolean {
  return ['true', '1', 'yes'].includes(v.trim());
}

/** Good values for every variable but `except`. */
function goodEnvironment(except?: Variable): fc.Arbitrary<Record<string, string | undefined>> {
  return fc.record(Object.fromEntries(NAMES.filter((n) => n !== except).map((n) => [n, VARIABLES[n].good as fc.Arbitrary<string>])), { requiredKeys: [] });
}

describe('configuration from the environment (fuzzed)', () => {
  it('knows every variable the configuration reads', () => {
    // a variable added to the configuration without an entry in VARIABLES would go unfuzzed
    expect([...NAMES].sort()).toEqual([...CONFIG_ENVIRONMENT_VARIABLES].sort());
  });

  for (const name of NAMES) {
    const bad = VARIABLES[name].bad;
    if (bad === undefined) continue;
    it(`refuses every bad ${name} with CONFIG_INVALID naming the variable`, () => {
      fc.assert(
        fc.property(goodEnvironment(name), bad as fc.Arbitrary<string>, (others, value) => {
          const env = { ...others, [name]: value };
          expect(() => resolveConfig({ database: 'fuzz.db' }, env)).toThrow(
            expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${name}=`) }),
          );
        }),
        { numRuns: 300 },
      );
    });
  }

  it('takes every good value of every variable, and an empty one as unset', () => {
    const defaults = resolveConfig({ database: 'fuzz.db' }, {});
    fc.assert(
      fc.property(goodEnvironment(), fc.subarray(NAMES), (generated, emptied) => {
        const env = { ...generated, ...Object.fromEntries(emptied.map((name) => [name, ''])) };
        const config = resolveConfig({ database: 'fuzz.db' }, env) as unknown as Record<string, unknown>;
        for (const name of NAMES) {
          const { field, expected } = VARIABLES[name];
          const value = env[name];
          expect(config[field]).toEqual(value === undefined || value === '' ? (defaults as unknown as Record<string, unknown>)[field] : expected(value));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('configuration options (fuzzed)', () => {
  const OPTIONS = {
    batchSize: {
      bad: fc.oneof(
        fc.integer({ max: 0 }),
        fc.integer({ min: 1_000_001 }),
        fc.double({ noNaN: false }).filter((d) => !Number.isInteger(d)),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
      ),
      good: fc.integer({ min: 1, max: 1_000_000 }),
    },
    lockTimeout: {
      bad: fc.oneof(
        fc.integer({ max: -1 }),
        fc.double().filter((d) => !Number.isInteger(d)),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
      ),
      good: fc.integer({ min: 0, max: 2 ** 31 }),
    },
    integrityCheckLevel: { bad: fc.oneof(noneOf(LEVELS), fc.integer(), fc.boolean(), fc.constant(null)), good: fc.constantFrom(...LEVELS) },
  } as const;

  for (const [field, { bad, good }] of Object.entries(OPTIONS)) {
    it(`refuses every bad ${field} with CONFIG_INVALID naming the option, and takes every good one`, () => {
      fc.assert(
        fc.property(bad as fc.Arbitrary<unknown>, (value) => {
          expect(() => resolveConfig({ database: 'fuzz.db', [field]: value }, {})).toThrow(
            expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(field) }),
          );
        }),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(good as fc.Arbitrary<unknown>, (value) => {
          expect((resolveConfig({ database: 'fuzz.db', [field]: value }, {}) as unknown as Record<string, unknown>)[field]).toEqual(value);
        }),
        { numRuns: 300 },
      );
    });
  }
});
