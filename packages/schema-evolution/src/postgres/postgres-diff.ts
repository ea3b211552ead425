import {
  type DialectParticipant,
  type MigrationSet,
  type PostgresConnection,
  type SchemaChange,
  type SchemaObjects,
  type TableInfo,
  appliedSubset,
  compareSchemaObjects,
  rehearseVersions,
  schemaOfTables,
} from '@mfmig/core';
import type { ObjectDiff, SchemaDiff } from '../diff/schema-diff.js';
import { postgresObjectsHash } from './postgres-snapshot.js';

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
 * at.get(3)!.map((t) => t.name);
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
 * Everything a PostgreSQL schema holds at each of `versions` (its tables, and the views, CHECK
 * constraints, triggers, functions, types, domains, sequences and identity and generated columns
 * beside them),
 * from one rehearsal as {@link postgresVersionTables} makes it.
 *
 * @example
 * const at = await postgresVersionObjects(url, migrations, [2, 3], { participants: [createConnectionTransformer()] });
 * postgresSchemaDiff(at.get(2)!, at.get(3)!).triggers.added;
 */
export async function postgresVersionObjects(
  url: string,
  migrations: MigrationSet,
  versions: readonly number[],
  options: PostgresRehearsalOptions = {},
): Promise<Map<number, SchemaObjects>> {
  const { values, failed } = await rehearseVersions(url, migrations, versions, (conn) => conn.introspector.objects(), {
    participants: options.participants ?? [],
    signal: options.signal,
  });
  if (failed) throw failed.error;
  return values;
}

/** The names of the objects `changes` adds, removes and changes, of one object type. */
function objectDiff(changes: SchemaChange[], objectType: SchemaChange['objectType']): ObjectDiff {
  const names = (suffix: string) => [
    ...new Set(changes.filter((c) => c.objectType === objectType && c.kind === `${objectType}-${suffix}`).map((c) => c.object)),
  ];
  return { added: names('added'), removed: names('removed'), changed: names('changed') };
}

/**
 * What changed from one PostgreSQL schema to another, as the SQLite diff reports it: tables,
 * indexes, views, triggers, functions, types and sequences added, removed and changed, each change with
 * its compatibility, the breaking ones apart. Give each side's `objects()` (or a snapshot) to
 * compare everything; given a list of tables on either side, only tables and their indexes are
 * compared.
 *
 * @example
 * const diff = postgresSchemaDiff(at.get(2)!, await conn.introspector.objects());
 * diff.identical; diff.breaking.map((c) => c.description);
 */
export function postgresSchemaDiff(from: SchemaObjects | TableInfo[], to: SchemaObjects | TableInfo[]): SchemaDiff {
  const tablesAlone = Array.isArray(from) || Array.isArray(to);
  const side = (s: SchemaObjects | TableInfo[]) => (Array.isArray(s) ? schemaOfTables(s) : tablesAlone ? schemaOfTables(s.tables) : s);
  const [a, b] = [side(from), side(to)];
  const changes = compareSchemaObjects(a, b);
  const tables = objectDiff(changes, 'table');
  const changedTables = [...new Set(changes.filter((c) => c.objectType === 'table' && !c.kind.startsWith('table-')).map((c) => c.object))];
  return {
    fromHash: postgresObjectsHash(a),
    toHash: postgresObjectsHash(b),
    identical: changes.length === 0,
    tables: { added: tables.added, removed: tables.removed, changed: changedTables, renamed: [] },
    indexes: objectDiff(changes, 'index'),
    views: objectDiff(changes, 'view'),
    triggers: objectDiff(changes, 'trigger'),
    functions: objectDiff(changes, 'function'),
    types: objectDiff(changes, 'type'),
    sequences: objectDiff(changes, 'sequence'),
    changes,
    breaking: changes.filter((c) => c.compatibility === 'breaking'),
  };
}

/**
 * What differs between the live schema of `conn` and the schema its applied migrations build: a
 * rehearsal of exactly the versions its history holds, up to `appliedVersion`, in a scratch
 * schema, compared with the live schema, its tables and every object beside them (a trigger, a
 * CHECK or a function made or dropped by hand is drift) (a migration still pending below the current version,
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
  const rehearsed = await postgresVersionObjects(url, appliedSubset(migrations, applied), [appliedVersion], options);
  return compareSchemaObjects(rehearsed.get(appliedVersion)!, await conn.introspector.objects());
}
