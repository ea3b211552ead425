import type { SqliteConnection } from '@mfmig/core';
import { CatalogTracker } from '../snapshot/catalog-tracker.js';
import { KEYFRAME_INTERVAL, ensureSnapshotTables, snapshotTablesExist, writeSnapshot } from './snapshot-store.js';

interface ConnectionState {
  tracker: CatalogTracker;
  lastId: number | undefined;
  depth: number;
  tablesReady: boolean;
}

/**
 * What the schema-history plugin and participant share: per run connection, a catalog tracker
 * read incrementally, and the snapshot rows it writes through that connection (a full object list
 * at the start of each run and every `keyframeInterval` rows, deltas in between).
 *
 * @example
 * const recorder = new SnapshotRecorder();
 * recorder.startRun(conn);
 * await recorder.record(conn, 3, runId); // the schema hash of version 3
 */
export class SnapshotRecorder {
  // keyed by the run's connection: the same object for the whole run
  readonly #states = new WeakMap<SqliteConnection, ConnectionState>();

  constructor(readonly keyframeInterval = KEYFRAME_INTERVAL) {}

  /** A run begins: its first snapshot is a full list, and the snapshot table is looked for again. */
  startRun(conn: SqliteConnection): void {
    const state = this.#stateOf(conn);
    state.lastId = undefined;
    state.tablesReady = false;
  }

  /** A run failed: what the tracker read may have been rolled back, so the next run reads the catalog afresh. */
  forget(conn: SqliteConnection): void {
    const state = this.#stateOf(conn);
    state.tracker.reset();
    state.lastId = undefined;
  }

  /** Writes the snapshot of `version` (in the caller's transaction); returns the schema hash. */
  async record(conn: SqliteConnection, version: number, runId: string): Promise<string> {
    const state = this.#stateOf(conn);
    if (!state.tablesReady) {
      if (!(await snapshotTablesExist(conn))) await ensureSnapshotTables(conn);
      state.tablesReady = true;
    }
    state.tracker.update(conn);
    const changes = state.tracker.drainChanges();
    const hash = state.tracker.hash();
    const keyframe = state.lastId === undefined || state.depth >= this.keyframeInterval;
    state.lastId = await writeSnapshot(conn, {
      version,
      hash,
      runId,
      objects: state.tracker.objects(),
      changes,
      ...(keyframe ? {} : { baseId: state.lastId! }),
    });
    state.depth = keyframe ? 0 : state.depth + 1;
    return hash;
  }

  #stateOf(conn: SqliteConnection): ConnectionState {
    let state = this.#states.get(conn);
    if (!state) {
      state = { tracker: new CatalogTracker(), lastId: undefined, depth: 0, tablesReady: false };
      this.#states.set(conn, state);
    }
    return state;
  }
}
