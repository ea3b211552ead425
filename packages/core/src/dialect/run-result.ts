import { randomUUID } from 'node:crypto';
import { MfmigError, isMfmigError } from '../errors/index.js';
import type { DialectRunResult } from './dialect-migrator.js';

/**
 * The result of a run before it did anything: no steps, versions 0 until the run reads them.
 *
 * @example
 * const result = emptyRunResult('down', false);
 */
export function emptyRunResult(direction: 'up' | 'down', dryRun: boolean, runId: string = randomUUID()): DialectRunResult {
  return { runId, direction, dryRun, fromVersion: 0, toVersion: 0, targetVersion: 0, results: [], durationMs: 0, extras: {}, reports: [] };
}

/**
 * Any error as an MfmigError: an unexpected one becomes INTERNAL, with the original as its cause.
 *
 * @example
 * result.error = asMfmigError(error);
 */
export function asMfmigError(error: unknown): MfmigError {
  return isMfmigError(error) ? error : new MfmigError('INTERNAL', `Unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}
