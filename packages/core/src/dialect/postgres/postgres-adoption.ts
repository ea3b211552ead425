import type { MigrationSet } from '../../migration/index.js';
import { DialectMigrator } from '../dialect-migrator.js';
import type { DialectParticipant } from '../dialect-participant.js';
import type { UnadoptedTables } from '../dialect-adoption.js';
import type { PostgresConnection } from './postgres-connection.js';

/**
 * The live tables of the connection's schema that the migrations would create, when the schema
 * has no migration history.
 *
 * @deprecated Use `DialectMigrator.findUnadoptedTables()`: the rehearsal runs on the connection's own
 * scratch schema, so the URL and the participants are no longer needed.
 */
export function findUnadoptedPostgresTables(
  conn: PostgresConnection,
  _url: string,
  migrations: MigrationSet,
  _participants: readonly DialectParticipant[] = [],
): Promise<UnadoptedTables> {
  return new DialectMigrator({ connection: conn, migrations }).findUnadoptedTables();
}

/**
 * Refuses (ADOPTION_REQUIRED) to migrate a schema that holds tables the migrations create but
 * has no migration history. Writes nothing.
 *
 * @deprecated Use `DialectMigrator.assertAdopted()`; every `DialectMigrator.migrate` up run checks it already.
 */
export function assertPostgresAdopted(
  conn: PostgresConnection,
  _url: string,
  migrations: MigrationSet,
  _participants: readonly DialectParticipant[] = [],
): Promise<void> {
  return new DialectMigrator({ connection: conn, migrations }).assertAdopted();
}
