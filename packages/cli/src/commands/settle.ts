import { isMfmigError } from '@mfmig/core';

/**
 * A service's result also when it stopped part-way: the services throw an `MfmigError` whose
 * `result` (with `success: false` and `error`) says what they did, and a command prints that
 * result before exiting with the error's code. A refusal, which has no result, is rethrown.
 *
 * @example
 * const result = await settle(manager.executeRollbackPlan(plan));
 * if (!result.success) failWith(cli, result.error!);
 */
export async function settle<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isMfmigError(error) && error.result !== undefined) return error.result as T;
    throw error;
  }
}
