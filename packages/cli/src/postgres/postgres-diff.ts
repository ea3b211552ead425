import { type MigrationSet, type PostgresConnection, type SchemaChange, type SchemaObjects, describePostgresUrl } from '@mfmig/core';
import { detectPostgresDrift, postgresSchemaDiff, postgresVersionObjects } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import { renderDiff } from '../commands/diff.js';
import { postgresParticipants } from '@mfmig/framework';
import { open } from './postgres-commands.js';
import { loadPostgresMigrations } from './postgres-migrations.js';

/** The options of `mfmig diff`, as commander hands them over. */
export interface PostgresDiffOptions {
  from: number;
  to?: number | 'live';
}

/** The schema at each of `versions`, tables and the objects beside them, rehearsed with the run's participants (see `postgresVersionObjects`). */
export function rehearsedObjects(cli: CliRuntime, migrations: MigrationSet, versions: number[]): Promise<Map<number, SchemaObjects>> {
  return postgresVersionObjects(cli.globals.db, migrations, versions, { participants: postgresParticipants({ preserve: false }), signal: cli.signal });
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
  const rehearsed = await rehearsedObjects(cli, migrations, to === 'live' ? [options.from] : [options.from, to]);
  let database = describePostgresUrl(cli.globals.db);
  let after = to === 'live' ? undefined : rehearsed.get(to)!;
  if (to === 'live') {
    const conn = await open(cli, { createSchema: false });
    try {
      database = conn.target;
      after = await conn.introspector.objects();
    } finally {
      await conn.close();
    }
  }
  const diff = postgresSchemaDiff(rehearsed.get(options.from)!, after!);
  cli.out.result({ dialect: 'postgres', database, from: options.from, to, ...diff }, () =>
    renderDiff(cli.out, diff, `version ${options.from}`, to === 'live' ? 'the live schema' : `version ${to}`),
  );
}

/**
 * What differs between the live schema of `conn` and the schema its applied migrations build (see
 * `detectPostgresDrift`), rehearsed with the run's participants.
 *
 * @example
 * const drift = await postgresDrift(cli, conn, await loadPostgresMigrations(cli, 'import'), status.currentVersion);
 */
export function postgresDrift(cli: CliRuntime, conn: PostgresConnection, migrations: MigrationSet, appliedVersion: number): Promise<SchemaChange[]> {
  return detectPostgresDrift(conn, cli.globals.db, migrations, appliedVersion, { participants: postgresParticipants({ preserve: false }), signal: cli.signal });
}
