import type { DatabaseAdapter } from '@mfmig/core';
import { CatalogTracker } from '../snapshot/catalog-tracker.js';
import { KEYFRAME_INTERVAL, ensureSnapshotTables, snapshotTablesExist, writeSnapshot } from './snapshot-store.js';

interface ConnectionState {
  tracker: CatalogTracker;
  lastId: number | undefined;
  depth: number;
  tablesReady: boolean;
}

/**
 * What the schema-history plugin and participant share: per database, a catalog tracker read
 * incrementally, and the snapshot rows it writes (a full object list at the start of each run and
 * every `keyframeInterval` rows, deltas in between).
 *
 * @example
 * const recorder = new SnapshotRecorder();
 * recorder.startRun(adapter);
 * recorder.record(adapter, 3, runId); // the schema hash of version 3
 */
export class SnapshotRecorder {
  // keyed by the runner's adapter: the same object for the whole run
  readonly #states = new WeakMap<DatabaseAdapter, ConnectionState>();

  constructor(readonly keyframeInterval = KEYFRAME_INTERVAL) {}

  /** A run begins: its first snapshot is a full list, and the snapshot table is looked for again. */
  startRun(db: DatabaseAdapter): void {
    const state = this.#stateOf(db);
    state.lastId = undefined;
    state.tablesReady = false;
  }

  /** A run failed: what the tracker read may have been rolled back, so the next run reads the catalog afresh. */
  forget(db: DatabaseAdapter): void {
    const state = this.#stateOf(db);
    state.tracker.reset();
    state.lastId = undefined;
  }

  /** Writes the snapshot of `version` (in the caller's transaction); returns the schema hash. */
  record(db: DatabaseAdapter, version: number, runId: string): string {
    const state = this.#stateOf(db);
    if (!state.tablesReady) {
      if (!snapshotTablesExist(db)) ensureSnapshotTables(db);
      state.tablesReady = true;
    }
    state.tracker.update(db);
    const changes = state.tracker.drainChanges();
    const hash = state.tracker.hash();
    const keyframe = state.lastId === undefined || state.depth >= this.keyframeInterval;
    state.lastId = writeSnapshot(db, { version, hash, runId, objects: state.tracker.objects(), changes, baseId: keyframe ? undefined : state.lastId });
    state.depth = keyframe ? 0 : state.depth + 1;
    return hash;
  }

  #stateOf(db: DatabaseAdapter): ConnectionState {
    let state = this.#states.get(db);
    if (!state) {
      state = { tracker: new CatalogTracker(), lastId: undefined, depth: 0, tablesReady: false };
      this.#states.set(db, state);
    }
    return state;
  }
}
