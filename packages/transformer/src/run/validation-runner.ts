import type { DatabaseAdapter } from '@mfmig/core';
import { MfmigError, abbreviateSql, messageOf } from '@mfmig/core';
import type { ResolvedTransformation, ValidationExpectation, ValidationQuery } from '../declaration/data-transformation.js';
import { prepareLenient } from '../sql/legacy-strings.js';
import type { ValidationResult } from './transformation-result.js';

/**
 * Runs a transformation's validation queries and checks each against its expectation. A query
 * without one must return a non-zero value unless the source table is empty.
 *
 * @example
 * const results = runValidations(adapter, 'kb_to_incident_mapping', t);
 * if (results.some((r) => !r.passed)) throw validationError(results);
 */
export function runValidations(adapter: DatabaseAdapter, id: string, t: ResolvedTransformation, known?: ReadonlyMap<string, unknown>): ValidationResult[] {
  const read = (sql: string) => (known?.has(sql) ? known.get(sql) : scalar(adapter, sql));
  return t.validationQueries.map((q) => check(adapter, id, t, q, read));
}

/** Every query a transformation's validations run, its own and those of `{ query }` expectations. */
export function validationSql(t: ResolvedTransformation): string[] {
  return t.validationQueries.flatMap((q) => [q.sql, ...(typeof q.expect === 'object' && 'query' in q.expect ? [q.expect.query] : [])]);
}

/** The single value a validation query returns (its first column of its first row, or null). */
export function scalar(adapter: DatabaseAdapter, sql: string): unknown {
  const statement = prepareLenient(adapter, sql);
  if (!statement.reader) throw new Error('a validation query must be a SELECT');
  const row = statement.raw().get() as unknown[] | undefined;
  return row === undefined ? null : (row[0] ?? null);
}

/**
 * The `VALIDATION_FAILED` error for failed validation results, naming the first failure, or
 * null when all passed.
 *
 * @example
 * const error = validationError(results); if (error) throw error;
 */
export function validationError(results: ValidationResult[]): MfmigError | null {
  const failed = results.filter((r) => !r.passed);
  if (failed.length === 0) return null;
  const f = failed[0]!;
  const what = f.message ? ` (${f.message})` : '';
  return new MfmigError(
    'VALIDATION_FAILED',
    `Transformation ${f.transformationId} failed validation${what}: \`${abbreviateSql(f.sql, 100)}\` returned ${String(f.value)}, expected ${f.expected}${failed.length > 1 ? ` (${failed.length - 1} more failed)` : ''}`,
    { context: { transformation: f.transformationId, failures: failed } },
  );
}

function check(adapter: DatabaseAdapter, id: string, t: ResolvedTransformation, q: ValidationQuery, read: (sql: string) => unknown): ValidationResult {
  const base = { transformationId: id, sql: q.sql, message: q.message };
  let value: unknown;
  try {
    value = read(q.sql);
  } catch (error) {
    return { ...base, value: `error: ${messageOf(error)}`, expected: 'a query that runs', passed: false };
  }
  const { passed, expected } = evaluate(adapter, t, q.expect, value, read);
  return { ...base, value, expected, passed };
}

function evaluate(
  adapter: DatabaseAdapter,
  t: ResolvedTransformation,
  expect: ValidationExpectation | undefined,
  value: unknown,
  read: (sql: string) => unknown,
): { passed: boolean; expected: string } {
  const n = value === null || value === undefined ? null : Number(value);
  if (expect === undefined) {
    const empty = adapter.tableExists(t.sourceTable) && adapter.rowCount(t.sourceTable) === 0;
    return {
      passed: empty || (value !== null && value !== undefined && value !== 0 && value !== '' && value !== 0n),
      expected: 'a non-zero value (the source is not empty)',
    };
  }
  if (typeof expect === 'number') return { passed: n === expect, expected: String(expect) };
  if (expect === 'any') return { passed: true, expected: 'anything' };
  if (expect === 'zero') return { passed: n === 0, expected: '0' };
  if (expect === 'nonZero') return { passed: n !== null && n !== 0 && !Number.isNaN(n), expected: 'non-zero' };
  if (expect === 'sourceCount' || expect === 'targetCount') {
    const table = expect === 'sourceCount' ? t.sourceTable : t.targetTable;
    const count = adapter.rowCount(table);
    return { passed: n === count, expected: `${count} (rows in ${table})` };
  }
  if ('query' in expect) {
    const other = read(expect.query);
    const equal = typeof other === 'number' || typeof other === 'bigint' ? n === Number(other) : other === value;
    return { passed: equal, expected: `${String(other)} (from \`${abbreviateSql(expect.query, 100)}\`)` };
  }
  const okMin = expect.min === undefined || (n !== null && n >= expect.min);
  const okMax = expect.max === undefined || (n !== null && n <= expect.max);
  return { passed: okMin && okMax, expected: `between ${expect.min ?? '-inf'} and ${expect.max ?? 'inf'}` };
}
