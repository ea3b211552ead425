import type { DatabaseAdapter } from './database-adapter.js';

/** Options of {@link inWriteTurn}. */
export interface WriteTurnOptions {
  /** Give up (rethrow SQLITE_BUSY) after waiting this long. Default: the connection's busy_timeout. */
  timeoutMs?: number;
}

const isThenable = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown } | null)?.then === 'function';
const isBusy = (error: unknown) => (error as { code?: string } | null)?.code?.startsWith('SQLITE_BUSY') === true;

/**
 * Runs `fn` in one IMMEDIATE transaction like `adapter.transaction`, but waits for the write lock
 * by retrying every millisecond instead of through SQLite's busy handler. `fn` may be async (the
 * connection's `SqliteConnection.writeTurn`): the transaction commits when it settles.
 *
 * The busy handler backs off to 100 ms sleeps: against an application that commits every
 * 20 ms, a batch waiting on it keeps missing the moments the lock is free, and a migration of
 * short batches crawls. Polling every millisecond (without blocking the event loop) takes the
 * lock within a few milliseconds of the application's commit.
 *
 * @example
 * const saved = await inWriteTurn(adapter, () => writeBatch());
 */
export async function inWriteTurn<T>(adapter: DatabaseAdapter, fn: () => T | Promise<T>, options: WriteTurnOptions = {}): Promise<T> {
  const db = adapter.raw;
  const busyTimeout = Number(db.pragma('busy_timeout', { simple: true }));
  const deadline = performance.now() + (options.timeoutMs ?? busyTimeout);
  db.pragma('busy_timeout = 0');
  try {
    for (;;) {
      try {
        db.exec('BEGIN IMMEDIATE');
        break;
      } catch (error) {
        if (!isBusy(error) || performance.now() >= deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    db.pragma(`busy_timeout = ${busyTimeout}`);
  }
  try {
    const returned = fn();
    // a synchronous body commits at once, with no await between it and the COMMIT
    const result = isThenable(returned) ? await returned : returned;
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
