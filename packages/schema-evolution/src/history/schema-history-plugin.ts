import type { MigrationContext, MigrationPlugin } from '@mfmig/core';
import { SnapshotRecorder } from './snapshot-recorder.js';
import { KEYFRAME_INTERVAL } from './snapshot-store.js';

/**
 * The name the schema-history plugin registers under.
 *
 * @example
 * context.plugins.some((p) => p.name === SCHEMA_HISTORY_PLUGIN);
 */
export const SCHEMA_HISTORY_PLUGIN = 'schema-history';

/** Options of {@link createSchemaHistoryPlugin}. */
export interface SchemaHistoryOptions {
  /** Write a full object list every this many delta rows (default {@link KEYFRAME_INTERVAL}). */
  keyframeInterval?: number;
}

/**
 * A core {@link MigrationPlugin} that stores a schema snapshot for every applied version in
 * `mfmig_schema_snapshots` through the run's connection (`ctx.connection`, inside the migration's
 * transaction, so it commits or rolls back with it) and hands the schema hash to the core for `mfmig_history.schema_hash`.
 *
 * Cost per migration follows what the migration changed, not the size of the schema: the
 * schema is tracked incrementally (see `CatalogTracker`) and stored as deltas with a full list
 * every {@link KEYFRAME_INTERVAL} rows and at the start of every run.
 *
 * @example
 * const migrator = new Migrator({ adapter, migrations, plugins: [createSchemaHistoryPlugin()] });
 * await migrator.migrate();
 * await new SchemaEvolution({ database: './kb.db' }).history(); // one entry per applied version
 */
export function createSchemaHistoryPlugin(options: SchemaHistoryOptions = {}): MigrationPlugin {
  const recorder = new SnapshotRecorder(options.keyframeInterval ?? KEYFRAME_INTERVAL);
  const record = async (ctx: MigrationContext, version: number) => void ctx.state.set('schemaHash', await recorder.record(ctx.connection, version, ctx.runId));
  return {
    name: SCHEMA_HISTORY_PLUGIN,
    fingerprintsSchema: true,
    beforeRun(run) {
      recorder.startRun(run.connection);
    },
    afterRun(run, result) {
      if (result.error) recorder.forget(run.connection);
    },
    async afterMigration(ctx: MigrationContext) {
      if (ctx.dryRun || ctx.direction !== 'up') return;
      await record(ctx, ctx.migration.version);
    },
    async afterRepeatable(ctx: MigrationContext, version: number) {
      // a repeatable changes the schema of the version the database is at: a newer snapshot of it
      if (!ctx.dryRun && version > 0) await record(ctx, version);
    },
  };
}
