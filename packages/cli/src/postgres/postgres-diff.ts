import { createHash } from 'node:crypto';
import {
  type MigrationSet,
  type PostgresConnection,
  type SchemaChange,
  type TableInfo,
  compareSchemas,
  describePostgresUrl,
  rehearseVersions,
} from '@mfmig/core';
import type { SchemaDiff } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import { renderDiff } from '../commands/diff.js';
import { open, postgresParticipants } from './postgres-commands.js';
import { loadPostgresMigrations } from './postgres-migrations.js';

/** The options of `mfmig diff`, as commander hands them over. */
export interface PostgresDiffOptions {
  from: number;
  to?: number | 'live';
}

/**
 * A hash of what {@link compareSchemas} compares, the same for equal schemas whatever schema they
 * live in: index definitions (which name their schema) are left out, columns are taken by name.
 */
function tablesHash(tables: TableInfo[]): string {
  const shape = tables.map((t) => ({
    ...t,
    columns: [...t.columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    indexes: t.indexes.map(({ definition: _definition, ...rest }) => rest),
  }));
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * The tables of the schema at each of `versions`, from one rehearsal in a scratch schema that
 * climbs from the lowest version to the highest (0: the empty schema).
 */
export async function rehearsedTables(cli: CliRuntime, migrations: MigrationSet, versions: number[]): Promise<Map<number, TableInfo[]>> {
  const { values, failed } = await rehearseVersions(cli.globals.db, migrations, versions, (conn) => conn.introspector.tables(), {
    participants: postgresParticipants({ preserve: false }),
    signal: cli.signal,
  });
  if (failed) throw failed.error;
  return values;
}

/** The document `renderDiff` prints (and `--json` shows), built from the changes between two lists of tables. */
function schemaDiff(from: TableInfo[], to: TableInfo[]): SchemaDiff {
  const changes = compareSchemas(from, to);
  const names = (kind: string) => [...new Set(changes.filter((c) => c.kind === kind).map((c) => c.object))];
  const changedTables = [...new Set(changes.filter((c) => c.objectType === 'table' && !c.kind.startsWith('table-')).map((c) => c.object))];
  return {
    fromHash: tablesHash(from),
    toHash: tablesHash(to),
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
 * `mfmig --db postgres://... diff --from A [--to B|live]`: what changed in the schema between two
 * versions, or between a version and the live schema, breaking changes flagged as on SQLite. A
 * version's schema comes from a rehearsal of the migrations in a scratch schema (dropped
 * afterwards); `live` is the introspection of the `--schema` schema. Reads only; exit 0.
 *
 * @example
 * if (isPostgresUrl(cli.globals.db)) return diffPostgres(cli, { from: 2, to: 'live' });
 */
export async function diffPostgres(cli: CliRuntime, options: PostgresDiffOptions): Promise<void> {
  const to = options.to ?? 'live';
  const migrations = await loadPostgresMigrations(cli, 'import');
  const rehearsed = await rehearsedTables(cli, migrations, to === 'live' ? [options.from] : [options.from, to]);
  let database = describePostgresUrl(cli.globals.db);
  let after = to === 'live' ? [] : rehearsed.get(to)!;
  if (to === 'live') {
    const conn = await open(cli, { createSchema: false });
    try {
      database = conn.target;
      after = await conn.introspector.tables();
    } finally {
      await conn.close();
    }
  }
  const diff = schemaDiff(rehearsed.get(options.from)!, after);
  cli.out.result({ dialect: 'postgres', database, from: options.from, to, ...diff }, () =>
    renderDiff(cli.out, diff, `version ${options.from}`, to === 'live' ? 'the live schema' : `version ${to}`),
  );
}

/**
 * What differs between the live schema of `conn` and the schema its applied migrations build: a
 * rehearsal up to `appliedVersion` in a scratch schema, compared with the live tables. Empty when
 * nothing drifted. `migrations` must be loaded with their modules (`'import'`): module migrations
 * run in the rehearsal.
 *
 * @example
 * const drift = await postgresDrift(cli, conn, await loadPostgresMigrations(cli, 'import'), status.currentVersion);
 * for (const change of drift) console.log(change.description, change.compatibility);
 */
export async function postgresDrift(cli: CliRuntime, conn: PostgresConnection, migrations: MigrationSet, appliedVersion: number): Promise<SchemaChange[]> {
  const rehearsed = await rehearsedTables(cli, migrations, [appliedVersion]);
  return compareSchemas(rehearsed.get(appliedVersion)!, await conn.introspector.tables());
}
