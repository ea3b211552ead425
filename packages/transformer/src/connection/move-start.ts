import type { LockWaitPolicy, RunnableConnection } from '@mfmig/core';
import { DEFAULT_LOCK_WAIT, MfmigError, quoteIdentifier, retryDelay } from '@mfmig/core';
import type { ConnectionCursor, ConnectionCursorStore } from './connection-cursor-store.js';
import type { KeyBatches } from './source-key-range.js';

/** How the start of a move bounds its wait, and what its failure says. */
export interface MoveStartOptions {
  /** What the error tells the user to run again. Default: `run migrate again`. */
  rerun?: string;
  /**
   * The wait: `lockTimeoutMs` a try, `retries` times more, with the policy's waits between
   * (`retryDelay`): a standalone job's, or the migration run's (`DialectStep.lockWait`). Default
   * `DEFAULT_LOCK_WAIT`.
   */
  lockWait?: LockWaitPolicy;
  /**
   * The code when every try gave up: `MIGRATION_FAILED` (default; the migration stays `partial`
   * for the next run, since a lock wait takes nothing back out), or `TRANSFORMATION_FAILED` for a
   * standalone job, whose cursors stay for its next call.
   */
  failure?: 'MIGRATION_FAILED' | 'TRANSFORMATION_FAILED';
}

/**
 * Starts a pending unit's batches: fixes its end key (the source's largest key now) and saves
 * the cursor `running`, in one short transaction that first takes a SHARE lock on the source
 * (where the dialect has `tableLocks`; SQLite's `BEGIN IMMEDIATE` waits for every writer already).
 * The lock waits for the application's writes already under way, so that no row below the end
 * key is still uncommitted when the batches pass it (rows above it move in the final
 * transaction); it is released at once. The progress total is the key span up to the end key,
 * two index lookups: counting the rows would hold the lock for a scan of the whole source. Each
 * attempt waits at most the policy's `lockTimeoutMs` (2 s by default, the same bound a migration's
 * DDL has), so that the writers queued behind it are not held long; when every try gave up, a
 * migration's run fails and the migration stays `partial`, its cursors pending, for the next
 * `migrate` to start again (a lock wait takes nothing back out); a standalone job fails with
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
  const { rerun = 'run migrate again', lockWait = DEFAULT_LOCK_WAIT, failure = 'MIGRATION_FAILED' } = options;
  const waitMs = lockWait.lockTimeoutMs;
  const attempts = lockWait.retries + 1;
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
          failure,
          `Transformation ${c.transformationId} could not start: a transaction writing to ${source} stayed open past ${waitMs} ms, ${attempt} times; ${rerun} once it has committed`,
          { cause: error, context: { transformation: c.transformationId } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelay(lockWait, attempt - 1)));
    }
  }
}
