import { HISTORY_TABLE, ONLINE_TABLE, type SqliteConnection } from '@mfmig/core';

/**
 * mfmig's own tables a run reads to know where it stands: the history, the cursors of
 * batched transformations (the transformer's table), without which a rehearsal of a partially
 * applied migration would start its transformation again over rows it already wrote, and the
 * online rebuilds a killed run left (their shadow tables, see `copySchema`).
 */
export const RUN_STATE_TABLES = [HISTORY_TABLE, 'mfmig_transform_cursors', ONLINE_TABLE];

/**
 * A new database (in memory, or the file `path`) holding the schema of `live` and a copy of
 * its migration history and transformation cursors, but none of its data: what the planner runs
 * dry runs and rehearsals on, on a connection of its own (`close()` frees it). An online rebuild
 * a killed run left is dropped from the copy (shadow table, triggers, moved indexes back), as the
 * next run drops it before it starts the rebuild over.
 *
 * @example
 * const copy = await copySchema(conn);
 * await new DialectMigrator({ connection: copy, migrations }).migrate({ mvp: 5 }, { dryRun: true });
 */
export async function copySchema(live: SqliteConnection, path = ':memory:'): Promise<SqliteConnection> {
  return live.schemaCopy({ path, runState: RUN_STATE_TABLES });
}
