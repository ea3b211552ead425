import { MfmigError, abbreviateSql } from '@mfmig/core';
import type { ResolvedTransformation } from '../declaration/data-transformation.js';
import type { ValidationResult } from './transformation-result.js';

/** Every query a transformation's validations run, its own and those of `{ query }` expectations. */
export function validationSql(t: ResolvedTransformation): string[] {
  return t.validationQueries.flatMap((q) => [q.sql, ...(typeof q.expect === 'object' && 'query' in q.expect ? [q.expect.query] : [])]);
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
