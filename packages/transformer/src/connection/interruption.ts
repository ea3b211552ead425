import { MfmigError } from '@mfmig/core';

/**
 * Throws `INTERRUPTED` when the run's signal is aborted, before the next batch of a
 * transformation; the caller's transaction then rolls back the whole migration.
 *
 * @example
 * throwIfInterrupted(options.signal, 'copy_lines', 2_000);
 */
export function throwIfInterrupted(signal: AbortSignal | undefined, unitId: string, rowsDone: number): void {
  if (!signal?.aborted) return;
  throw new MfmigError('INTERRUPTED', `Transformation ${unitId} interrupted after ${rowsDone} rows; the migration's transaction rolls back`, {
    context: { transformation: unitId },
  });
}
