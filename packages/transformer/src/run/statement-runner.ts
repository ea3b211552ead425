import { BATCH_END_PARAM, BATCH_START_PARAM, MfmigError, type SqliteConnection, isMfmigError, messageOf, usesBatchParams } from '@mfmig/core';
import { runLenient } from '../sql/legacy-strings.js';

/** The key range of one batch: `key > start AND key <= end`. */
export interface KeyRange {
  start: unknown;
  end: unknown;
}

/**
 * Runs one data statement, binding `@batchStart` / `@batchEnd` when it uses them. Returns the
 * rows it changed (none for a query, whose rows are dropped).
 *
 * @example
 * await runStatement(conn, 'UPDATE t SET x = 1 WHERE id > @batchStart AND id <= @batchEnd', { start: 0, end: 100 }, 'fix_x');
 */
export async function runStatement(conn: SqliteConnection, sql: string, range: KeyRange | null, transformationId: string): Promise<number> {
  try {
    const params = range && usesBatchParams(sql) ? [{ [BATCH_START_PARAM]: range.start, [BATCH_END_PARAM]: range.end }] : [];
    return await runLenient(sql, (text) => conn.execute(text, params));
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
