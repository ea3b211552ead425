import type { DatabaseAdapter, MigrationContext, MigrationPlugin } from '@mfmig/core';
import { CatalogTracker } from '../snapshot/catalog-tracker.js';
import { KEYFRAME_INTERVAL, ensureSnapshotTables, snapshotTablesExist, writeSnapshot } from './snapshot-store.js';

/**
 * The name the schema-history plugin registers under.
 *
 * @example
 * context.plugins.some((p) => p.name === SCHEMA_HISTORY_PLUGIN);
 */
export const SCHEMA_HISTORY_PLUGIN = 'schema-history';

interface ConnectionState {
  tracker: CatalogTracker;
  lastId: number | undefined;
  depth: number;
  tablesReady: boolean;
}

/** Options of {@link createSchemaHistoryPlugin}. */
export interface SchemaHistoryOptions {
  /** Write a full object list every this many delta rows (default {@link KEYFRAME_INTERVAL}). */
  keyframeInterval?: number;
}

/**
 * A core {@link MigrationPlugin} that stores a schema snapshot for every applied version in
 * `mfmig_schema_snapshots` (inside the migration's transaction, so it commits or rolls back
 * with it) and hands the schema hash to the core for `mfmig_history.schema_hash`.
 *
 * Cost per migration follows what the migration changed, not the size of the schema: the
 * schema is tracked incrementally (see `CatalogTracker`) and stored as deltas with a full list
 * every {@link KEYFRAME_INTERVAL} rows and at the start of every run.
 *
 * @example
 * const migrator = new Migrator({ adapter, migrations, plugins: [createSchemaHistoryPlugin()] });
 * await migrator.migrate();
 * new SchemaEvolution({ database: adapter.raw }).history(); // one entry per applied version
 */
export function createSchemaHistoryPlugin(options: SchemaHistoryOptions = {}): MigrationPlugin {
  const keyframeInterval = options.keyframeInterval ?? KEYFRAME_INTERVAL;
  // keyed by the runner's adapter: the same object for the whole run (ctx.raw is a new observed handle per migration)
  const states = new WeakMap<DatabaseAdapter, ConnectionState>();
  const stateOf = (db: DatabaseAdapter): ConnectionState => {
    let state = states.get(db);
    if (!state) {
      state = { tracker: new CatalogTracker(), lastId: undefined, depth: 0, tablesReady: false };
      states.set(db, state);
    }
    return state;
  };
  const record = (ctx: MigrationContext, version: number) => {
    const db = ctx.adapter;
    const state = stateOf(db);
    if (!state.tablesReady) {
      if (!snapshotTablesExist(db)) ensureSnapshotTables(db);
      state.tablesReady = true;
    }
    state.tracker.update(db);
    const changes = state.tracker.drainChanges();
    const hash = state.tracker.hash();
    const keyframe = state.lastId === undefined || state.depth >= keyframeInterval;
    state.lastId = writeSnapshot(db, {
      version,
      hash,
      runId: ctx.runId,
      objects: state.tracker.objects(),
      changes,
      baseId: keyframe ? undefined : state.lastId,
    });
    state.depth = keyframe ? 0 : state.depth + 1;
    ctx.state.set('schemaHash', hash);
  };
  return {
    name: SCHEMA_HISTORY_PLUGIN,
    beforeRun(run) {
      const state = stateOf(run.adapter);
      state.lastId = undefined;
      state.tablesReady = false;
    },
    afterRun(run, result) {
      if (!result.error) return;
      const state = stateOf(run.adapter);
      state.tracker.reset();
      state.lastId = undefined;
    },
    afterMigration(ctx: MigrationContext) {
      if (ctx.dryRun || ctx.direction !== 'up') return;
      record(ctx, ctx.migration.version);
    },
    afterRepeatable(ctx: MigrationContext, version: number) {
      // a repeatable changes the schema of the version the database is at: a newer snapshot of it
      if (!ctx.dryRun && version > 0) record(ctx, version);
    },
  };
}
