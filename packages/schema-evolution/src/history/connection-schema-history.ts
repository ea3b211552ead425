import { type DatabaseAdapter, type DialectParticipant, type RunnableConnection, SqliteConnection } from '@mfmig/core';
import { SnapshotRecorder } from './snapshot-recorder.js';
import { KEYFRAME_INTERVAL } from './snapshot-store.js';
import { SCHEMA_HISTORY_PLUGIN, type SchemaHistoryOptions } from './schema-history-plugin.js';

/**
 * Schema history as a `DialectMigrator` participant: on a `SqliteConnection` it writes the same
 * `mfmig_schema_snapshots` rows as {@link createSchemaHistoryPlugin} (one per applied version, in
 * the version's transaction, and a newer one of the current version after each repeatable
 * migration), so `SchemaEvolution.history()`, `diff` and `schema-at` read a database whichever
 * runner migrated it, and each `mfmig_history` row carries its snapshot's hash, as the plugin gives
 * it (`fingerprintsSchema`). On PostgreSQL it records nothing: there, diff and drift read the
 * catalogs and each history row's schema fingerprint, which the runner takes.
 *
 * @example
 * const migrator = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [createConnectionSchemaHistory()] });
 * await migrator.migrate();
 * new SchemaEvolution({ database: adapter.raw }).history(); // one entry per applied version
 */
export function createConnectionSchemaHistory(options: SchemaHistoryOptions = {}): DialectParticipant {
  const recorder = new SnapshotRecorder(options.keyframeInterval ?? KEYFRAME_INTERVAL);
  return {
    name: SCHEMA_HISTORY_PLUGIN,
    async beforeRun(run) {
      const db = sqliteAdapter(run.connection);
      if (db) recorder.startRun(db);
    },
    async afterRun(run, result) {
      const db = sqliteAdapter(run.connection);
      if (db && result.error) recorder.forget(db);
    },
    // as the plugin does for Migrator, each history row carries the hash of its version's snapshot
    fingerprintsSchema: (connection) => sqliteAdapter(connection) !== undefined,
    async afterUp(step) {
      const db = sqliteAdapter(step.connection);
      if (db && !step.dryRun) step.recordSchemaHash(recorder.record(db, step.migration.version, step.runId));
    },
    async afterRepeatable(step, version) {
      // a repeatable changes the schema of the version the database is at: a newer snapshot of it
      const db = sqliteAdapter(step.connection);
      if (db && !step.dryRun && version > 0) recorder.record(db, version, step.runId);
    },
  };
}

function sqliteAdapter(conn: RunnableConnection): DatabaseAdapter | undefined {
  return conn instanceof SqliteConnection ? conn.adapter : undefined;
}
