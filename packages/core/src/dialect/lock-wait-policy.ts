/**
 * How long one statement may wait for a table lock, and how a migration that could not get one
 * is retried. A DDL statement waiting for its lock makes every later query on the table wait
 * behind it: the bound keeps a long transaction from turning a migration into an outage.
 */
export interface LockWaitPolicy {
  /** `lock_timeout` of each statement, in ms. */
  lockTimeoutMs: number;
  /** Retries after a lock timeout or a transaction the server aborted over a conflict (40001, 40P01); the migration then fails, with nothing of it applied. */
  retries: number;
  /** The first wait between attempts, in ms; it doubles each time, with jitter, up to `maxDelayMs`. */
  retryDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LOCK_WAIT: LockWaitPolicy = { lockTimeoutMs: 2_000, retries: 5, retryDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * The wait before retry `attempt` (0-based): doubling from `retryDelayMs`, capped, with jitter of
 * up to a quarter so that several runners do not retry in step.
 *
 * @example
 * retryDelay(DEFAULT_LOCK_WAIT, 2); // about 4,000 ms (3,000 to 4,000)
 */
export function retryDelay(policy: LockWaitPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.retryDelayMs * 2 ** attempt);
  return base * (0.75 + Math.random() / 4);
}
