import { type MigrationSet, type MigrationStatus, type SqliteConnection, historyFingerprint, readStatus } from '@mfmig/core';

/**
 * The live database as the rollback's plans, stages and checks read it: the context's SQLite
 * connection and the migrations folder.
 */
export interface LiveState {
  connection: SqliteConnection;
  migrations: MigrationSet;
}

/** Where the live database stands against the migrations (reads only). */
export function liveStatus(state: LiveState): Promise<MigrationStatus> {
  return readStatus(state.connection, state.migrations);
}

/** The fingerprint of the live history that a plan is made against (see `historyFingerprintOf`). */
export function liveHistoryFingerprint(state: LiveState): Promise<string> {
  return historyFingerprint(state.connection.history);
}
