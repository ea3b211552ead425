import { MfmigError, isMfmigError } from '../errors/index.js';
import type { DialectRunResult } from './dialect-migrator.js';
import type { DialectParticipant, DialectRun } from './dialect-participant.js';

/**
 * Calls every participant's `beforeRun`, in the run's order. The first throw stops the run: it
 * propagates, and the participants after it are not called.
 *
 * @example
 * await beforeRun(participants, run);
 */
export async function beforeRun(participants: readonly DialectParticipant[], run: DialectRun): Promise<void> {
  for (const p of participants) await p.beforeRun?.(run);
}

/**
 * Calls every participant's `afterRun`, in the run's order, each one whatever the others did: a
 * throw becomes `result.error` when the run has none, and is dropped otherwise (the run's own
 * error says more about what happened to the database).
 *
 * @example
 * await afterRun(participants, run, result);
 */
export async function afterRun(participants: readonly DialectParticipant[], run: DialectRun, result: DialectRunResult): Promise<void> {
  for (const p of participants) {
    try {
      await p.afterRun?.(run, result);
    } catch (error) {
      result.error ??= isMfmigError(error)
        ? error
        : new MfmigError('MIGRATION_FAILED', `The ${p.name} participant failed after the run: ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          });
    }
  }
}
