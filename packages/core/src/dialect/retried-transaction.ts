import { setTimeout as sleep } from 'node:timers/promises';
import type { RunnableConnection } from './dialect.js';
import { lockExhausted, retryable } from './dialect-step-errors.js';
import { type LockWaitPolicy, retryDelay } from './lock-wait-policy.js';

/** What {@link inRetriedTransaction} needs besides the work. */
export interface RetriedTransactionOptions {
  lockWait: LockWaitPolicy;
  /** The wait before attempt `attempt + 1`. Default: `retryDelay` of the policy (the runner passes its own, which logs it). */
  waitBeforeRetry?(attempt: number): Promise<void>;
  /** Resets what an attempt left behind in memory (statements run, rows counted), before each attempt; a throw here ends the retries. */
  beforeAttempt?(): void;
  /** Whether a failed attempt is worth running again whole. Default: a lock timeout or a transient conflict (`retryable`). */
  retryable?(error: unknown): boolean;
  /** The error thrown once the retries are spent, from the last attempt's. Default: the runner's lock-timeout error (`lockExhausted`). */
  exhausted?(error: unknown, attempt: number): unknown;
}

/**
 * Runs `work` in a transaction under the policy's lock wait bound and commits it (unless `work`
 * ended the transaction itself, as a step that finds itself applied already does), retried whole
 * when a statement, or the BEGIN itself (SQLite's `BEGIN IMMEDIATE` waits for an application's
 * write transaction only as long as `busy_timeout`), could not get its lock in time or the server
 * aborted the transaction over a conflict; after the last retry, the lock timeout's error.
 *
 * @example
 * await inRetriedTransaction(conn, { lockWait }, () => conn.history.remove(7));
 */
export async function inRetriedTransaction<T>(conn: RunnableConnection, options: RetriedTransactionOptions, work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    options.beforeAttempt?.();
    try {
      await conn.begin();
      await conn.setLockTimeout(options.lockWait.lockTimeoutMs, 'transaction');
      const value = await work();
      if (conn.inTransaction) await conn.commit();
      return value;
    } catch (error) {
      await conn.rollback().catch(() => {});
      if (!(options.retryable ? options.retryable(error) : retryable(conn, error))) throw error;
      if (attempt >= options.lockWait.retries)
        throw options.exhausted ? options.exhausted(error, attempt) : lockExhausted(error, conn, options.lockWait, attempt);
      await (options.waitBeforeRetry ? options.waitBeforeRetry(attempt) : sleep(retryDelay(options.lockWait, attempt)));
    }
  }
}
