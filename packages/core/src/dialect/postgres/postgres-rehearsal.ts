import type { MigrationSet } from '../../migration/index.js';
import { type DialectRunResult, DialectMigrator } from '../dialect-migrator.js';
import type { DialectParticipant } from '../dialect-participant.js';
import { type PostgresConnection, openPostgres } from './postgres-connection.js';
import { REHEARSAL_SCHEMA_PREFIX, openScratchSchema } from './postgres-scratch.js';
import { type SampledTable, copySample } from './postgres-sample.js';

export type { SampledTable };

export { REHEARSAL_SCHEMA_PREFIX };

/** Options of {@link rehearse}. */
export interface RehearsalOptions<T> {
  /** Migrate the scratch schema up to this version (0: leave it empty). */
  toVersion: number;
  /** The run's participants (data transformations, ...); a migration that declares transformations needs the transformer's. */
  participants?: readonly DialectParticipant[];
  /** After migrating, copy up to `rows` rows of each table of schema `fromSchema` into the scratch schema (see {@link copySample}). */
  sample?: { fromSchema: string; rows: number };
  /** What to do with the migrated scratch schema (introspect it, time more migrations on it); its result is {@link Rehearsal.value}. */
  work?: (conn: PostgresConnection, migrator: DialectMigrator) => Promise<T>;
  /** Stops the run between two migrations; the scratch schema is dropped all the same. */
  signal?: AbortSignal;
  /** Run the repeatable migrations (`R__`) after the versioned ones up to `toVersion` (default false: a rehearsal is of the versioned steps). */
  repeatables?: boolean;
}

/** What a rehearsal did. The scratch schema it names no longer exists. */
export interface Rehearsal<T> {
  schema: string;
  /** The run up to `toVersion`. */
  run: DialectRunResult;
  /** Rows copied per table, when a sample was asked for. */
  sampled: SampledTable[];
  /** What `work` returned. */
  value: T | undefined;
}

/**
 * Runs migrations on a scratch copy of nothing: a new schema `mfmig_rehearsal_<hex>` in the
 * database of `url`, on a session of its own whose search_path holds that schema (and schemas that
 * hold extensions and no tables), so that migrations that name no schema run there unchanged and
 * cannot reach the live schema's tables.
 * The migrations run up to `toVersion` with a {@link DialectMigrator} (history, lock and audit
 * rows live in the scratch schema), a sample of live rows is copied in when asked, then `work`
 * gets the session. Whatever happens (a failing migration, a throw in `work`, an abort), the
 * scratch schema is dropped (`DROP SCHEMA ... CASCADE`) and the session closed; a failed run
 * throws its error afterwards.
 *
 * What a migration does outside its schema still happens (`CREATE EXTENSION`, roles, grants, a
 * name qualified with another schema); extensions installed into the live schema are out of
 * reach. A process killed outright leaves its scratch schema behind; the next rehearsal on the
 * same server drops it, once its session is gone.
 *
 * @example
 * const { value: tables } = await rehearse(url, migrations, { toVersion: 3, work: (conn) => conn.introspector.tables() });
 */
export async function rehearse<T = undefined>(url: string, migrations: MigrationSet, options: RehearsalOptions<T>): Promise<Rehearsal<T>> {
  const scratch = await openScratchSchema(url, openPostgres);
  const { connection: conn, schema } = scratch;
  let failed = false;
  try {
    const migrator = new DialectMigrator({
      connection: conn,
      migrations,
      participants: options.participants,
      repeatables: options.repeatables ?? false,
      // a scratch schema: rows copied in as a sample are no data to protect
      allowUnadopted: true,
    });
    const run = await migrator.migrate({ version: options.toVersion }, { signal: options.signal, command: 'mfmig rehearsal' });
    if (run.error) throw run.error;
    const sampled = options.sample ? await copySample(conn, options.sample.fromSchema, schema, options.sample.rows) : [];
    const value = options.work ? await options.work(conn, migrator) : undefined;
    return { schema, run, sampled, value };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // a failure to drop is said unless it would hide why the rehearsal failed
    await scratch.dispose().catch((error: unknown) => {
      if (!failed) throw error;
    });
  }
}

/** What {@link rehearseVersions} read at each version, and the migration that stopped the climb early, if one did. */
export interface VersionsRehearsal<T> {
  values: Map<number, T>;
  failed: { version: number; error: Error } | null;
}

/**
 * Reads the rehearsed schema at each of `versions`: one rehearsal (see {@link rehearse}) climbs
 * from the empty schema through the versions in ascending order and hands the scratch session to
 * `read` at each (0 is the empty schema). A migration that fails ends the climb; what was read
 * before it is kept and the failure returned, not thrown. With `repeatables`, the repeatable
 * migrations run once the climb reaches the last version, before it is read.
 *
 * @example
 * const { values } = await rehearseVersions(url, migrations, [3, 7], (conn) => conn.introspector.tables());
 */
export async function rehearseVersions<T>(
  url: string,
  migrations: MigrationSet,
  versions: readonly number[],
  read: (conn: PostgresConnection) => Promise<T>,
  options: { participants?: readonly DialectParticipant[]; signal?: AbortSignal; repeatables?: boolean } = {},
): Promise<VersionsRehearsal<T>> {
  const values = new Map<number, T>();
  let failed: VersionsRehearsal<T>['failed'] = null;
  const ordered = [...new Set(versions)].sort((a, b) => a - b);
  await rehearse(url, migrations, {
    toVersion: 0,
    participants: options.participants,
    signal: options.signal,
    work: async (conn, migrator) => {
      for (const version of ordered) {
        if (version > 0) {
          // with `repeatables`, they run once, after the climb to the last version, as on the live database
          const repeatables = options.repeatables === true && version === ordered.at(-1);
          const run = await migrator.migrate({ version }, { signal: options.signal, command: 'mfmig rehearsal', repeatables });
          if (run.error) {
            failed = { version, error: run.error };
            return;
          }
        }
        values.set(version, await read(conn));
      }
    },
  });
  return { values, failed };
}
