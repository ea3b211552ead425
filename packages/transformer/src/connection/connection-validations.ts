import type { DialectConnection } from '@mfmig/core';
import { abbreviateSql, messageOf } from '@mfmig/core';
import type { ResolvedTransformation, ValidationExpectation, ValidationQuery } from '../declaration/data-transformation.js';
import type { ValidationResult } from '../run/transformation-result.js';
import { countRows, scalarOf } from './connection-queries.js';

/** What is validated: a unit, or a `migrate` parent after its last step. */
export interface ValidationTarget {
  id: string;
  t: ResolvedTransformation;
}

const SAVEPOINT = 'mfmig_validation';

/**
 * Runs the validation queries of each target and checks them against their expectations,
 * exactly as SQLite's validation runner does (a query without one must return a non-zero value
 * unless the source is empty). Inside a transaction each check runs in a savepoint that is
 * rolled back afterwards: a query that fails is reported as a failed validation instead of
 * aborting the transaction, and a validation can never change data. `known` holds values already
 * read for some of the queries (by their SQL; TEMP copies answered them, see `readOverCopies`),
 * which are taken as they are instead of being read again.
 *
 * @example
 * const results = await validateOnConnection(conn, [{ id: t.id, t }]);
 * const error = validationError(results); if (error) throw error;
 */
export async function validateOnConnection(
  conn: DialectConnection,
  targets: readonly ValidationTarget[],
  known?: ReadonlyMap<string, unknown>,
): Promise<ValidationResult[]> {
  const read = async (sql: string) => (known?.has(sql) ? known.get(sql) : scalarOf(conn, sql));
  const results: ValidationResult[] = [];
  for (const { id, t } of targets) {
    for (const q of t.validationQueries) results.push(await isolated(conn, () => check(conn, id, t, q, read)));
  }
  return results;
}

/** Runs a check in a savepoint rolled back after it (when in a transaction). */
async function isolated(conn: DialectConnection, fn: () => Promise<ValidationResult>): Promise<ValidationResult> {
  if (!conn.inTransaction) return fn();
  await conn.execute(`SAVEPOINT ${SAVEPOINT}`);
  try {
    return await fn();
  } finally {
    await conn.execute(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    await conn.execute(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }
}

type Read = (sql: string) => Promise<unknown>;

async function check(conn: DialectConnection, id: string, t: ResolvedTransformation, q: ValidationQuery, read: Read): Promise<ValidationResult> {
  const base = { transformationId: id, sql: q.sql, ...(q.message === undefined ? {} : { message: q.message }) };
  let value: unknown;
  try {
    value = await read(q.sql);
  } catch (error) {
    return { ...base, value: `error: ${messageOf(error)}`, expected: 'a query that runs', passed: false };
  }
  try {
    return { ...base, value, ...(await evaluate(conn, t, q.expect, value, read)) };
  } catch (error) {
    return { ...base, value, expected: `an expectation that can be read (${messageOf(error)})`, passed: false };
  }
}

async function evaluate(
  conn: DialectConnection,
  t: ResolvedTransformation,
  expect: ValidationExpectation | undefined,
  value: unknown,
  read: Read,
): Promise<{ passed: boolean; expected: string }> {
  const n = value === null || value === undefined ? null : Number(value);
  if (expect === undefined) {
    const truthy = value !== null && value !== undefined && value !== 0 && value !== '' && value !== false;
    const empty = !truthy && (await conn.introspector.table(t.sourceTable)) !== undefined && (await countRows(conn, t.sourceTable)) === 0;
    return { passed: truthy || empty, expected: 'a non-zero value (the source is not empty)' };
  }
  if (typeof expect === 'number') return { passed: n === expect, expected: String(expect) };
  if (expect === 'any') return { passed: true, expected: 'anything' };
  if (expect === 'zero') return { passed: n === 0, expected: '0' };
  if (expect === 'nonZero') return { passed: n !== null && n !== 0 && !Number.isNaN(n), expected: 'non-zero' };
  if (expect === 'sourceCount' || expect === 'targetCount') {
    const table = expect === 'sourceCount' ? t.sourceTable : t.targetTable;
    const count = await countRows(conn, table);
    return { passed: n === count, expected: `${count} (rows in ${table})` };
  }
  if ('query' in expect) {
    const other = await read(expect.query);
    const equal = typeof other === 'number' ? n === other : other === value;
    return { passed: equal, expected: `${String(other)} (from \`${abbreviateSql(expect.query, 100)}\`)` };
  }
  const okMin = expect.min === undefined || (n !== null && n >= expect.min);
  const okMax = expect.max === undefined || (n !== null && n <= expect.max);
  return { passed: okMin && okMax, expected: `between ${expect.min ?? '-inf'} and ${expect.max ?? 'inf'}` };
}
