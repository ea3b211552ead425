import { MfmigError, messageOf } from '../../errors/index.js';
import type { MigrationSet } from '../../migration/index.js';
import type { DialectParticipant } from '../dialect-participant.js';
import type { PostgresConnection } from './postgres-connection.js';
import { rehearse } from './postgres-rehearsal.js';

/** What {@link findUnadoptedPostgresTables} found. */
export interface UnadoptedTables {
  /** Live tables the migrations create too. */
  tables: string[];
  /** Why the migrations' tables could not be known (a rehearsal that failed): every live table is then named. */
  unknownBecause: string | null;
}

/**
 * The live tables of the connection's schema that the migrations would create, when the schema
 * has no migration history: migrating it would run version 1 over them. Empty when the schema
 * has a history or holds no table. The migrations are rehearsed in a scratch schema (see
 * `rehearse`) to learn which tables they create; when that fails, every live table counts.
 *
 * @example
 * const { tables } = await findUnadoptedPostgresTables(conn, url, migrations); // ['accounts']
 */
export async function findUnadoptedPostgresTables(
  conn: PostgresConnection,
  url: string,
  migrations: MigrationSet,
  participants: readonly DialectParticipant[] = [],
): Promise<UnadoptedTables> {
  const none: UnadoptedTables = { tables: [], unknownBecause: null };
  if ((await conn.history.list()).length > 0) return none;
  const live = (await conn.introspector.tables()).map((t) => t.name);
  if (live.length === 0 || migrations.migrations.length === 0) return none;
  // read again: another runner may have committed its first migration, tables and history row
  // together, between the two reads above
  if ((await conn.history.list()).length > 0) return none;
  try {
    const latest = migrations.migrations.at(-1)!.version;
    const { value } = await rehearse(url, migrations, { toVersion: latest, participants, work: (scratch) => scratch.introspector.tables() });
    const created = new Set((value ?? []).map((t) => t.name));
    return { tables: live.filter((name) => created.has(name)), unknownBecause: null };
  } catch (error) {
    return { tables: live, unknownBecause: messageOf(error) };
  }
}

/**
 * Refuses (ADOPTION_REQUIRED) to migrate a schema that holds tables the migrations create but
 * has no migration history: version 1 would run over its data. Writes nothing.
 *
 * @example
 * await assertPostgresAdopted(conn, url, migrations); // throws on a schema made before mfmig
 */
export async function assertPostgresAdopted(
  conn: PostgresConnection,
  url: string,
  migrations: MigrationSet,
  participants: readonly DialectParticipant[] = [],
): Promise<void> {
  const found = await findUnadoptedPostgresTables(conn, url, migrations, participants);
  if (found.tables.length === 0) return;
  const shown = found.tables.slice(0, 5).join(', ') + (found.tables.length > 5 ? ` and ${found.tables.length - 5} more` : '');
  const which = found.unknownBecause
    ? `already holds tables (${shown}), and rehearsing the migrations to learn which they create failed (${found.unknownBecause})`
    : `already holds tables the migrations create (${shown})`;
  throw new MfmigError(
    'ADOPTION_REQUIRED',
    `${conn.target} has no migration history but ${which}; migrating would run the migrations from version 1 over its data, so it was left unchanged`,
    { context: { schema: conn.schema, tables: found.tables } },
  );
}
