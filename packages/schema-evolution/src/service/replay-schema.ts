import {
  type DialectParticipant,
  DialectMigrator,
  type DialectRunResult,
  MfmigError,
  type Migration,
  type MigrationSet,
  type RepeatableMigration,
  SCRATCH_TRANSFORMATIONS,
  type SqliteConnection,
  openSqlite,
} from '@mfmig/core';
import { rebuildTableInMigration } from '../rebuild/rebuild-table.js';
import { introspectSchema } from '../snapshot/introspect.js';
import type { SchemaSnapshot } from '../snapshot/schema-snapshot.js';

/**
 * The schema a set of migrations produces, found by applying them to an empty in-memory
 * database (no data is copied, nothing touches the real database).
 *
 * @example
 * const mvp3 = await replaySchema(set, set.migrations.filter((m) => m.mvp <= 3));
 */
export async function replaySchema(set: MigrationSet, migrations: Migration[]): Promise<SchemaSnapshot> {
  return withReplayedDatabase(set, migrations, [], (conn, result) => {
    if (result.error) {
      throw new MfmigError('MIGRATION_FAILED', `Cannot replay the migrations to compute the expected schema: ${result.error.message}`, { cause: result.error });
    }
    return introspectSchema(conn);
  });
}

/**
 * Applies `migrations` (a subset of `set`) to a new in-memory database with the core
 * `DialectMigrator`, schema only (declared data transformations have no rows to move there),
 * with `participants` as well, then `repeatables` (none by default), and hands the connection and
 * the run's result to `inspect` before closing it.
 *
 * @example
 * const tables = await withReplayedDatabase(set, set.migrations, [], async (conn) => conn.introspector.tables());
 */
export async function withReplayedDatabase<T>(
  set: MigrationSet,
  migrations: Migration[],
  participants: DialectParticipant[],
  inspect: (conn: SqliteConnection, result: DialectRunResult) => T | Promise<T>,
  repeatables: readonly RepeatableMigration[] = [],
): Promise<T> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const subset: MigrationSet = {
    ...set,
    repeatables: [...repeatables],
    migrations: sorted,
    milestones: [...new Set(sorted.map((m) => m.mvp))].sort((a, b) => a - b),
    byVersion: new Map(sorted.map((m) => [m.version, m])),
  };
  const conn = await openSqlite(':memory:');
  try {
    const migrator = new DialectMigrator({
      connection: conn,
      migrations: subset,
      participants: [SCRATCH_TRANSFORMATIONS, ...participants],
      // an empty database holds nothing the migrations could run over
      allowUnadopted: true,
      rebuildTable: rebuildTableInMigration,
    });
    return await inspect(conn, await migrator.migrate({ latest: true }, { command: 'mfmig schema replay' }));
  } finally {
    await conn.close();
  }
}
