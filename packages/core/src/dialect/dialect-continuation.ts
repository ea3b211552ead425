import type { Migration } from '../migration/index.js';
import type { DialectParticipant, DialectStep } from './dialect-participant.js';
import type { RunnableConnection } from './dialect.js';
import type { RunMetrics } from './dialect-run-metrics.js';
import { inRetriedTransaction } from './retried-transaction.js';
import type { LockWaitPolicy } from './lock-wait-policy.js';

/** What {@link continueStep} needs from the run that continues a step. */
export interface ContinuationRun {
  connection: RunnableConnection;
  participants: readonly DialectParticipant[];
  metrics: RunMetrics;
  /** The migration's lock wait: the final transaction's locks wait this long, and it is retried this often. */
  lockWait: LockWaitPolicy;
  /** Waits before retry `attempt` of the final transaction (it could not get a lock in time). */
  waitBeforeRetry(attempt: number): Promise<void>;
  /** The step as one participant sees it. */
  stepFor(participant: string): DialectStep;
  /** The schema fingerprint the step's history row records, or null (see `DialectMigrator`'s `#record`). */
  schemaHash(): Promise<string | null>;
}

/**
 * True when a participant leaves part of an up step's work for after its transaction (the
 * step's history row is then written `partial`). Called in the step's transaction, after `afterUp`.
 *
 * @example
 * const partial = await needsContinuation(participants, (name) => stepFor(m, name));
 */
export async function needsContinuation(participants: readonly DialectParticipant[], stepFor: (participant: string) => DialectStep): Promise<boolean> {
  for (const p of participants) if (await p.needsContinuation?.(stepFor(p.name))) return true;
  return false;
}

/**
 * Finishes a step whose history row says `partial`, as SQLite's runner does: each participant's
 * `continueUp` runs outside any transaction (committing its own batches, resumable where it was
 * killed), then one transaction runs every `finalizeUp`, marks the row applied and records the
 * step's metrics; it is retried whole, like a migration, when it could not get a lock in time.
 * A failure leaves the row `partial`; the runner then takes the step back out with its down
 * (see `revertPartial`), unless the run was interrupted or the step has no down, and the next
 * run continues from there.
 *
 * @example
 * await continueStep(migration, { connection, participants, metrics, lockWait, waitBeforeRetry, stepFor, schemaHash: async () => null }, start);
 */
export async function continueStep(m: Migration, run: ContinuationRun, start: number): Promise<void> {
  const conn = run.connection;
  for (const p of run.participants) await p.continueUp?.(run.stepFor(p.name));
  await inRetriedTransaction(conn, { lockWait: run.lockWait, waitBeforeRetry: run.waitBeforeRetry }, async () => {
    for (const p of run.participants) await p.finalizeUp?.(run.stepFor(p.name));
    const schemaHash = await run.schemaHash();
    await conn.history.markApplied(m.version, { durationMs: performance.now() - start, schemaHash, rows: run.metrics.rows });
    await run.metrics.recordStep(m, 'up');
  });
}
