import type { DialectParticipant, Migration, MigrationSet, RepeatableMigration, SqliteConnection } from '@mfmig/core';
import { buildSnapshot, CatalogTracker } from '../snapshot/catalog-tracker.js';
import type { DefinedObject } from '../snapshot/object-definition.js';
import type { SchemaSnapshot } from '../snapshot/schema-snapshot.js';
import { withReplayedDatabase } from './replay-schema.js';

/** The schema right after one version, as a replay of the migrations produces it. */
export interface ReplayedVersion {
  version: number;
  name: string;
  mvp: number;
  /** The schema hash (see `SchemaSnapshot.hash`). */
  hash: string;
  /** The normalised objects, keyed like snapshots (`table:notes`). */
  objects: ReadonlyMap<string, DefinedObject>;
}

/** The outcome of {@link replaySchemaVersions}: every version that replayed, and what stopped the replay early. */
export interface VersionReplay {
  versions: ReplayedVersion[];
  /** Set when a migration failed on the empty database; `versions` then ends before it. */
  error?: Error;
}

/**
 * Replays migrations on an empty in-memory database, schema only, and keeps the schema after
 * every version (one pass, tracked incrementally). Never throws half-way: a migration that
 * fails on an empty database ends the list and is reported in `error`.
 *
 * @example
 * const { versions } = await replaySchemaVersions(set, set.migrations);
 * versions.find((v) => v.hash === introspectSchema(db).hash)?.version; // where the live schema stands
 */
export async function replaySchemaVersions(set: MigrationSet, migrations: Migration[] = set.migrations): Promise<VersionReplay> {
  const tracker = new CatalogTracker();
  const seen: ReplayedVersion[] = [];
  const recorder: DialectParticipant = {
    name: 'schema-version-replay',
    async afterUp(step) {
      // withReplayedDatabase runs on a SQLite connection of its own
      tracker.update(step.connection as SqliteConnection);
      const { version, name, mvp } = step.migration;
      seen.push({ version, name, mvp, hash: tracker.hash(), objects: new Map(tracker.objects()) });
    },
  };
  return withReplayedDatabase(set, migrations, [recorder], async (conn, result) => {
    // a version whose step failed after this participant saw it is not applied
    const applied = new Set((await conn.history.list()).map((h) => h.version));
    const versions = seen.filter((v) => applied.has(v.version));
    return result.error ? { versions, error: result.error } : { versions };
  });
}

/**
 * The schema after `version` followed by `repeatables`, as a run that applied them after that
 * version leaves it (Flyway runs its `R__` scripts after the versioned ones). Null when the
 * replay fails on an empty database.
 *
 * @example
 * const withViews = await replayVersionWithRepeatables(set, 2, set.repeatables ?? []);
 */
export async function replayVersionWithRepeatables(
  set: MigrationSet,
  version: number,
  repeatables: readonly RepeatableMigration[],
): Promise<ReplayedVersion | null> {
  const migration = set.byVersion.get(version);
  if (!migration) return null;
  const migrations = set.migrations.filter((m) => m.version <= version);
  return withReplayedDatabase(
    set,
    migrations,
    [],
    (conn, result) => {
      if (result.error) return null;
      const tracker = new CatalogTracker();
      tracker.update(conn);
      return { version, name: migration.name, mvp: migration.mvp, hash: tracker.hash(), objects: new Map(tracker.objects()) };
    },
    repeatables,
  );
}

/**
 * The snapshot of a replayed version.
 *
 * @example
 * diffSnapshots(replayedSnapshot(versions.at(-1)!), introspectSchema(db));
 */
export function replayedSnapshot(version: ReplayedVersion): SchemaSnapshot {
  return buildSnapshot(
    [...version.objects.values()].map((d) => d.object),
    version.hash,
  );
}

/**
 * The names of every table the replayed versions create, lower-cased (a table a later version
 * drops still counts: a migration that creates it would run again).
 *
 * @example
 * replayedTableNames(versions).has('notes'); // true when some migration creates notes
 */
export function replayedTableNames(versions: ReplayedVersion[]): Set<string> {
  const names = new Set<string>();
  for (const v of versions) for (const d of v.objects.values()) if (d.object.type === 'table') names.add(d.object.name.toLowerCase());
  return names;
}
