import { MfmigError, isMfmigError, messageOf, type DatabaseAdapter } from '@mfmig/core';
import { prepareLenient } from '../sql/legacy-strings.js';
import { BATCH_END_PARAM, BATCH_START_PARAM, usesBatchParams } from '@mfmig/core';

/** The key range of one batch: `key > start AND key <= end`. */
export interface KeyRange {
  start: unknown;
  end: unknown;
}

/**
 * Runs one data statement, binding `@batchStart` / `@batchEnd` when it uses them. Returns the
 * rows it changed.
 *
 * @example
 * runStatement(db, 'UPDATE t SET x = 1 WHERE id > @batchStart AND id <= @batchEnd', { start: 0, end: 100 }, 'fix_x');
 */
export function runStatement(db: DatabaseAdapter, sql: string, range: KeyRange | null, transformationId: string): number {
  try {
    const statement = prepareLenient(db, sql);
    const params = range && usesBatchParams(sql) ? [{ [BATCH_START_PARAM]: range.start, [BATCH_END_PARAM]: range.end }] : [];
    if (statement.reader) {
      statement.all(...params);
      return 0;
    }
    return statement.run(...params).changes;
  } catch (error) {
    throw transformationError(error, transformationId, sql);
  }
}

/**
 * Wraps a failure of a transformation into a `TRANSFORMATION_FAILED` error naming it (coded
 * errors pass through).
 *
 * @example
 * throw transformationError(e, 'kb_to_incident_mapping', sql);
 */
export function transformationError(error: unknown, transformationId: string, statement?: string): MfmigError {
  if (isMfmigError(error)) {
    if (error.context.transformation === undefined) Object.assign(error.context, { transformation: transformationId });
    return error;
  }
  return new MfmigError('TRANSFORMATION_FAILED', `Transformation ${transformationId} failed: ${messageOf(error)}`, {
    cause: error,
    context: { transformation: transformationId, ...(statement ? { statement: statement.trim() } : {}) },
  });
}
