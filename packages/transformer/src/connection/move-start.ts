import type { LockWaitPolicy, RunnableConnection } from '@mfmig/core';
import { MfmigError, quoteIdentifier, retryDelay } from '@mfmig/core';
import type { ConnectionCursor, ConnectionCursorStore } from './connection-cursor-store.js';
import type { KeyBatches } from './source-key-range.js';

/** How long the start of a move in a migration waits for the application's open writes, per attempt, and how often it tries. */
const START_LOCK_MS = 2_000;
const START_ATTEMPTS = 5;

/** How the start of a move bounds its wait, and what its failure says. */
export interface MoveStartOptions {
  /** What the error tells the user to run again. Default: `run migrate again`. */
  rerun?: string;
  /**
   * A standalone job's policy: its start waits `lockTimeoutMs` a try, `retries` times more, and
   * failing is `TRANSFORMATION_FAILED`. Without it (a migration's move): 2 s a try, 5 tries,
   * `MIGRATION_FAILED`, and the migration stays `partial` for the next run (a lock wait takes
   * nothing back out).
   */
  lockWait?: LockWaitPolicy;
}

/**
 * Starts a pending unit's batches: fixes its end key (the source's largest key now) and saves
 * the cursor `running`, in one short transaction that first takes a SHARE lock on the source
 * (where the dialect has `tableLocks`; SQLite's `BEGIN IMMEDIATE` waits for every writer already).
 * The lock waits for the application's writes already under way, so that no row below the end
 * key is still uncommitted when the batches pass it (rows above it move in the final
 * transaction); it is released at once. The progress total is the key span up to the end key,
 * two index lookups: counting the rows would hold the lock for a scan of the whole source. Each
 * attempt waits at most 2 s, so that the writers queued behind it are not held long; after 5
 * attempts the run fails and the migration stays `partial`, its cursors pending, for the next
 * `migrate` to start again (a lock wait takes nothing back out). A standalone job gives its own `lockWait`, and fails with
 * `TRANSFORMATION_FAILED`, its cursors kept for the next call.
 *
 * @example
 * cursor = await startMove(conn, store, batches, 'kb_entries', cursor);
 */
export async function startMove(
  conn: RunnableConnection,
  store: ConnectionCursorStore,
  batches: KeyBatches,
  source: string,
  c: ConnectionCursor,
  options: MoveStartOptions = {},
): Promise<ConnectionCursor> {
  const { rerun = 'run migrate again', lockWait } = options;
  const waitMs = lockWait?.lockTimeoutMs ?? START_LOCK_MS;
  const attempts = lockWait ? lockWait.retries + 1 : START_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await conn.transaction(async () => {
        await conn.setLockTimeout(waitMs, 'transaction');
        if (conn.capabilities.tableLocks) await conn.execute(`LOCK TABLE ${quoteIdentifier(source)} IN SHARE MODE`);
        const endKey = await batches.maxKey();
        const started: ConnectionCursor = {
          ...c,
          status: 'running',
          endKey,
          total: endKey === null ? 0 : await batches.keySpan(endKey),
          keyColumn: batches.column,
        };
        await store.save(started);
        return started;
      });
    } catch (error) {
      if (!conn.isLockTimeout(error)) throw error;
      if (attempt >= attempts) {
        throw new MfmigError(
          lockWait ? 'TRANSFORMATION_FAILED' : 'MIGRATION_FAILED',
          `Transformation ${c.transformationId} could not start: a transaction writing to ${source} stayed open past ${waitMs} ms, ${attempt} times; ${rerun} once it has committed`,
          { cause: error, context: { transformation: c.transformationId } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, lockWait ? retryDelay(lockWait, attempt - 1) : 250 * attempt));
    }
  }
}
