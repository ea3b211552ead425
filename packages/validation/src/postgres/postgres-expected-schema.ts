import {
  type DialectParticipant,
  type HistoryEntry,
  type MigrationSet,
  type MigrationStatus,
  type SchemaObjects,
  type TableInfo,
  appliedSubset,
  migrationLabel,
  SCRATCH_TRANSFORMATIONS,
  rehearseVersions,
  schemaOfTables,
  withSchemaReplayStandIns,
} from '@mfmig/core';
import type { SkipReason } from '../report/types.js';
import type { ExpectedSchema } from '../schema/expected-schema.js';
import { schemaModelFrom } from '../schema/schema-model-of.js';

/** The schema the applied migrations build on PostgreSQL, as `schema.expected` compares it with the live one. */
export interface RehearsedSchema {
  /** For validation's `compareSchema`: the schema model, and which migration created each table, index and view. */
  expected: ExpectedSchema;
  /** The same tables in the boundary's shape. */
  tables: TableInfo[];
  /** The tables and every object beside them, for `compareSchemaObjects` (drift named change by change). */
  objects: SchemaObjects;
}

/** Where `validate` gets the expected schema from: a rebuild made on first use and shared, or why there is none. */
export type ExpectedSchemaSource = { rebuild: () => Promise<RehearsedSchema> } | { skip: { reason: SkipReason; message: string } };

/** What {@link expectedSchemaSource} decides from. */
export interface ExpectedSchemaInputs {
  /** The server the scratch schema is made on; undefined: the caller asked for no rebuild. */
  url: string | undefined;
  migrations: MigrationSet | null;
  /** Why `migrations` is null. */
  unavailable: string;
  /** The history; undefined when it could not be read (`noHistory` says why). */
  history: HistoryEntry[] | undefined;
  noHistory: SkipReason;
  status: MigrationStatus | undefined;
  signal?: AbortSignal;
  /** The participants the rebuild runs the migrations with (default: declared transformations stood in; they move no rows in an empty schema). */
  participants?: readonly DialectParticipant[];
}

/**
 * Whether the expected schema can be rebuilt, as SQLite's `schema.expected` decides it: from the
 * migrations folder and the history, every applied file present. A module migration loaded
 * without its code (what the reading commands do) replays as a no-op when the history shows the
 * schema the same on both sides of it (it moved data only); any other leaves the schema unknown,
 * and the rebuild is skipped, naming it, rather than its code run.
 *
 * @example
 * const source = expectedSchemaSource({ url, migrations, unavailable: '', history, noHistory: 'error', status });
 * if ('rebuild' in source) (await source.rebuild()).tables.length;
 */
export function expectedSchemaSource(inputs: ExpectedSchemaInputs): ExpectedSchemaSource {
  const { migrations, history, status } = inputs;
  const skip = (reason: SkipReason, message: string): ExpectedSchemaSource => ({ skip: { reason, message } });
  if (!migrations) return skip('no-migrations', inputs.unavailable);
  if (history === undefined) return skip(inputs.noHistory, 'the history could not be read');
  if (history.length === 0) return skip('no-history', 'the database has no mfmig history, so which migrations should have built it is unknown');
  const missing = status?.problems.find((p) => p.code === 'MIGRATION_MISSING');
  if (missing) return skip('not-applicable', `applied migration ${missing.version} is missing from the folder, so the expected schema cannot be rebuilt`);
  const replay = withSchemaReplayStandIns(migrations, history);
  if (replay.unknown.length > 0) {
    const names = replay.unknown.map((m) => migrationLabel(m)).join(', ');
    return skip(
      'not-applicable',
      `the schema that module migration(s) ${names} produce is known only by running their code, which validation does not load, so the expected schema cannot be rebuilt`,
    );
  }
  const url = inputs.url;
  if (url === undefined) return skip('not-applicable', 'no rebuild was asked for, so the expected schema is unknown');
  let rebuilt: Promise<RehearsedSchema> | undefined;
  const applied = history.map((h) => h.version);
  const participants = inputs.participants ?? [SCRATCH_TRANSFORMATIONS];
  return { rebuild: () => (rebuilt ??= rehearseExpectedSchema(url, replay.set, applied, { signal: inputs.signal, participants })) };
}

/**
 * The schema that exactly the `applied` versions build (an unapplied version between them is left
 * out, as SQLite's in-memory replay leaves it out): a rehearsal of those migrations, oldest first,
 * in a scratch schema of the database at `url` that is dropped afterwards, read after each
 * version to learn which one created each table, index and view. Module migrations run there: load
 * them with their code, or stand them in (see {@link expectedSchemaSource}). Throws when a
 * migration fails there, or when the role may not create a schema.
 *
 * @example
 * const { expected } = await rehearseExpectedSchema(url, await loadMigrations('./migrations', { dialect: 'postgres' }), [1, 2, 3]);
 * compareSchema(await schemaModelOf(conn.introspector), expected);
 */
export async function rehearseExpectedSchema(
  url: string,
  migrations: MigrationSet,
  applied: readonly number[],
  options: { signal?: AbortSignal; participants?: readonly DialectParticipant[] } = {},
): Promise<RehearsedSchema> {
  const set = appliedSubset(migrations, applied);
  const subset = set.migrations;
  const versions = subset.map((m) => m.version);
  const none = schemaOfTables();
  // tables and views at each version say which migration made what; everything else only at the last
  let read = 0;
  const { values, failed } = await rehearseVersions<SchemaObjects>(
    url,
    set,
    versions,
    async (conn) =>
      ++read === versions.length ? conn.introspector.objects() : { ...none, tables: await conn.introspector.tables(), views: await conn.introspector.views() },
    { participants: options.participants ?? [SCRATCH_TRANSFORMATIONS], signal: options.signal, repeatables: true },
  );
  if (failed) throw failed.error;
  const createdBy = new Map<string, string>();
  for (const m of subset) {
    const { tables, views } = values.get(m.version)!;
    const names = [...tables.flatMap((t) => [t.name, ...t.indexes.map((i) => i.name)]), ...views.map((v) => v.name)];
    for (const name of names) if (!createdBy.has(name)) createdBy.set(name, migrationLabel(m));
  }
  const last = versions.length > 0 ? values.get(versions.at(-1)!)! : none;
  return { expected: { schema: schemaModelFrom(last.tables, last.views), createdBy }, tables: last.tables, objects: last };
}
