import type { Migration } from '../migration/index.js';
import type { DialectParticipant, DialectStep } from './dialect-participant.js';
import type { RunnableConnection } from './dialect.js';
import type { RunMetrics } from './dialect-run-metrics.js';

/** What {@link continueStep} needs from the run that continues a step. */
export interface ContinuationRun {
  connection: RunnableConnection;
  participants: readonly DialectParticipant[];
  metrics: RunMetrics;
  /** The migration's lock timeout, for the final transaction's locks. */
  lockTimeoutMs: number;
  /** The step as one participant sees it. */
  stepFor(participant: string): DialectStep;
  /** True when the step is the run's last: its history row then gets the schema's fingerprint. */
  last: boolean;
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
 * step's metrics. A failure leaves the row `partial`, and the next run continues from there.
 *
 * @example
 * await continueStep(migration, { connection, participants, metrics, lockTimeoutMs: 5_000, stepFor, last: true }, start);
 */
export async function continueStep(m: Migration, run: ContinuationRun, start: number): Promise<void> {
  const conn = run.connection;
  for (const p of run.participants) await p.continueUp?.(run.stepFor(p.name));
  await conn.begin();
  try {
    await conn.setLockTimeout(run.lockTimeoutMs, 'transaction');
    for (const p of run.participants) await p.finalizeUp?.(run.stepFor(p.name));
    const schemaHash = run.last ? await conn.introspector.schemaFingerprint() : null;
    await conn.history.markApplied(m.version, { durationMs: performance.now() - start, rows: null, schemaHash });
    await run.metrics.recordStep(m, 'up');
    await conn.commit();
  } catch (error) {
    await conn.rollback().catch(() => {});
    throw error;
  }
}
