import {
  type DatabaseAdapter,
  MfmigError,
  type Migration,
  type MigrationPlugin,
  type MigrationSet,
  Migrator,
  type RepeatableMigration,
  type RunResult,
  openDatabase,
} from '@mfmig/core';
import { rebuildTableInMigration } from '../rebuild/rebuild-table.js';
import { introspectSchema } from '../snapshot/introspect.js';
import type { SchemaSnapshot } from '../snapshot/schema-snapshot.js';

/** Declared data transformations move rows, not schema: on an empty replay database there is nothing to move. */
const SCHEMA_ONLY: MigrationPlugin = { name: 'schema-only-replay', handlesTransformations: true };

/**
 * The schema a set of migrations produces, found by applying them to an empty in-memory
 * database (no data is copied, nothing touches the real database).
 *
 * @example
 * const mvp3 = await replaySchema(set, set.migrations.filter((m) => m.mvp <= 3));
 */
export async function replaySchema(set: MigrationSet, migrations: Migration[]): Promise<SchemaSnapshot> {
  return withReplayedDatabase(set, migrations, [], (adapter, result) => {
    if (result.error) {
      throw new MfmigError('MIGRATION_FAILED', `Cannot replay the migrations to compute the expected schema: ${result.error.message}`, { cause: result.error });
    }
    return introspectSchema(adapter);
  });
}

/**
 * Applies `migrations` (a subset of `set`) to a new in-memory database, schema only, through
 * `plugins` as well, then `repeatables` (none by default), and hands the database and the run's
 * result to `inspect` before closing it.
 *
 * @example
 * const tables = await withReplayedDatabase(set, set.migrations, [], (adapter) => adapter.userTables());
 */
export async function withReplayedDatabase<T>(
  set: MigrationSet,
  migrations: Migration[],
  plugins: MigrationPlugin[],
  inspect: (adapter: DatabaseAdapter, result: RunResult) => T,
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
  const adapter = openDatabase(':memory:');
  try {
    const migrator = new Migrator({
      adapter,
      migrations: subset,
      plugins: [SCHEMA_ONLY, ...plugins],
      rebuildTable: rebuildTableInMigration,
    });
    return inspect(adapter, await migrator.migrate());
  } finally {
    adapter.close();
  }
}
