import { type DialectParticipant, type RunnableConnection, type SqliteConnection, isSqliteConnection } from '@mfmig/core';
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
 * const conn = openSqlite('./kb.db');
 * await new DialectMigrator({ connection: conn, migrations, participants: [createConnectionSchemaHistory()] }).migrate();
 * await new SchemaEvolution({ database: conn }).history(); // one entry per applied version
 */
export function createConnectionSchemaHistory(options: SchemaHistoryOptions = {}): DialectParticipant {
  const recorder = new SnapshotRecorder(options.keyframeInterval ?? KEYFRAME_INTERVAL);
  return {
    name: SCHEMA_HISTORY_PLUGIN,
    async beforeRun(run) {
      const conn = sqliteOnly(run.connection);
      if (conn) recorder.startRun(conn);
    },
    async afterRun(run, result) {
      const conn = sqliteOnly(run.connection);
      if (conn && result.error) recorder.forget(conn);
    },
    // as the plugin does for Migrator, each history row carries the hash of its version's snapshot
    fingerprintsSchema: (connection) => sqliteOnly(connection) !== undefined,
    async afterUp(step) {
      const conn = sqliteOnly(step.connection);
      if (conn && !step.dryRun) step.recordSchemaHash(await recorder.record(conn, step.migration.version, step.runId));
    },
    async afterRepeatable(step, version) {
      // a repeatable changes the schema of the version the database is at: a newer snapshot of it
      const conn = sqliteOnly(step.connection);
      if (conn && !step.dryRun && version > 0) await recorder.record(conn, version, step.runId);
    },
  };
}

function sqliteOnly(conn: RunnableConnection): SqliteConnection | undefined {
  return isSqliteConnection(conn) ? conn : undefined;
}
