import type { RunnableConnection } from '@mfmig/core';
import { MfmigError, quoteIdentifier } from '@mfmig/core';
import type { ConnectionCursor, ConnectionCursorStore } from './connection-cursor-store.js';
import type { KeyBatches } from './source-key-range.js';

/** How long the start of a move waits for the application's open writes, per attempt, and how often it tries. */
const START_LOCK_MS = 2_000;
const START_ATTEMPTS = 5;

/**
 * Starts a pending unit's batches: fixes its end key (the source's largest key now) and saves
 * the cursor `running`, in one short transaction that first takes a SHARE lock on the source
 * (where the dialect has `tableLocks`; SQLite's `BEGIN IMMEDIATE` waits for every writer already).
 * The lock waits for the application's writes already under way, so that no row below the end
 * key is still uncommitted when the batches pass it (rows above it move in the final
 * transaction); it is released at once. The progress total is the key span up to the end key,
 * two index lookups: counting the rows would hold the lock for a scan of the whole source. Each
 * attempt waits at most 2 s, so that the writers queued behind it are not held long; after 5
 * attempts the run fails, and the runner takes the migration back out with its down (it stays
 * `partial` when it has none).
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
  rerun = 'run migrate again',
): Promise<ConnectionCursor> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await conn.transaction(async () => {
        await conn.setLockTimeout(START_LOCK_MS, 'transaction');
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
      if (attempt >= START_ATTEMPTS) {
        throw new MfmigError(
          'MIGRATION_FAILED',
          `Transformation ${c.transformationId} could not start: a transaction writing to ${source} stayed open past ${START_LOCK_MS} ms, ${attempt} times; ${rerun} once it has committed`,
          { cause: error, context: { transformation: c.transformationId } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}
