import {
  type DialectParticipant,
  type MigrationSet,
  type PostgresConnection,
  type SchemaChange,
  type TableInfo,
  appliedSubset,
  compareSchemas,
  rehearseVersions,
} from '@mfmig/core';
import type { SchemaDiff } from '../diff/schema-diff.js';
import { postgresTablesHash } from './postgres-snapshot.js';

/** Options of the PostgreSQL rehearsals of {@link postgresVersionTables} and {@link detectPostgresDrift}. */
export interface PostgresRehearsalOptions {
  /** The run's participants: the transformer's (`createConnectionTransformer()`), for migrations that declare data transformations. */
  participants?: readonly DialectParticipant[];
  /** Stops the rehearsal between two migrations; the scratch schema is dropped all the same. */
  signal?: AbortSignal;
}

/**
 * The tables of a PostgreSQL schema at each of `versions`, from one rehearsal in a scratch schema
 * on the server of `url` that climbs from the lowest version to the highest (0: the empty schema)
 * and is dropped afterwards. Throws the error of a migration that fails there.
 *
 * @example
 * const at = await postgresVersionTables(url, migrations, [2, 3], { participants: [createConnectionTransformer()] });
 * postgresSchemaDiff(at.get(2)!, at.get(3)!).breaking;
 */
export async function postgresVersionTables(
  url: string,
  migrations: MigrationSet,
  versions: readonly number[],
  options: PostgresRehearsalOptions = {},
): Promise<Map<number, TableInfo[]>> {
  const { values, failed } = await rehearseVersions(url, migrations, versions, (conn) => conn.introspector.tables(), {
    participants: options.participants ?? [],
    signal: options.signal,
  });
  if (failed) throw failed.error;
  return values;
}

/**
 * What changed from one list of PostgreSQL tables to another, as the SQLite diff reports it:
 * tables and indexes added, removed and changed, each change with its compatibility, the
 * breaking ones apart. Views and triggers are not compared on PostgreSQL (empty lists).
 *
 * @example
 * const diff = postgresSchemaDiff(at.get(2)!, await conn.introspector.tables());
 * diff.identical; diff.breaking.map((c) => c.description);
 */
export function postgresSchemaDiff(from: TableInfo[], to: TableInfo[]): SchemaDiff {
  const changes = compareSchemas(from, to);
  const names = (kind: string) => [...new Set(changes.filter((c) => c.kind === kind).map((c) => c.object))];
  const changedTables = [...new Set(changes.filter((c) => c.objectType === 'table' && !c.kind.startsWith('table-')).map((c) => c.object))];
  return {
    fromHash: postgresTablesHash(from),
    toHash: postgresTablesHash(to),
    identical: changes.length === 0,
    tables: { added: names('table-added'), removed: names('table-removed'), changed: changedTables, renamed: [] },
    indexes: { added: names('index-added'), removed: names('index-removed'), changed: names('index-changed') },
    views: { added: [], removed: [], changed: [] },
    triggers: { added: [], removed: [], changed: [] },
    changes,
    breaking: changes.filter((c) => c.compatibility === 'breaking'),
  };
}

/**
 * What differs between the live schema of `conn` and the schema its applied migrations build: a
 * rehearsal of exactly the versions its history holds, up to `appliedVersion`, in a scratch
 * schema, compared with the live tables (a migration still pending below the current version,
 * merged out of order, is left out of the rehearsal rather than reported as drift). Empty when
 * nothing drifted. `migrations` must be loaded with their modules: module migrations run in the
 * rehearsal.
 *
 * @example
 * const drift = await detectPostgresDrift(conn, url, migrations, status.currentVersion, { participants });
 * for (const change of drift) console.log(change.description, change.compatibility);
 */
export async function detectPostgresDrift(
  conn: PostgresConnection,
  url: string,
  migrations: MigrationSet,
  appliedVersion: number,
  options: PostgresRehearsalOptions = {},
): Promise<SchemaChange[]> {
  const applied = (await conn.history.exists()) ? (await conn.history.list()).map((h) => h.version) : [];
  const rehearsed = await postgresVersionTables(url, appliedSubset(migrations, applied), [appliedVersion], options);
  return compareSchemas(rehearsed.get(appliedVersion)!, await conn.introspector.tables());
}
