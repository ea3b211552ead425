import type { DatabaseAdapter } from './database-adapter.js';

/** Options of {@link inWriteTurn}. */
export interface WriteTurnOptions {
  /** Give up (rethrow SQLITE_BUSY) after waiting this long. Default: the connection's busy_timeout. */
  timeoutMs?: number;
}

const isBusy = (error: unknown) => (error as { code?: string } | null)?.code?.startsWith('SQLITE_BUSY') === true;

/**
 * Runs `fn` in one IMMEDIATE transaction like `adapter.transaction`, but waits for the write lock
 * by retrying every millisecond instead of through SQLite's busy handler.
 *
 * The busy handler backs off to 100 ms sleeps: against an application that commits every
 * 20 ms, a batch waiting on it keeps missing the moments the lock is free, and a migration of
 * short batches crawls. Polling every millisecond (without blocking the event loop) takes the
 * lock within a few milliseconds of the application's commit.
 *
 * @example
 * const saved = await inWriteTurn(adapter, () => writeBatch());
 */
export async function inWriteTurn<T>(adapter: DatabaseAdapter, fn: () => T, options: WriteTurnOptions = {}): Promise<T> {
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
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
