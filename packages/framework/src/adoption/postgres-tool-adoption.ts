import { type DialectParticipant, MfmigError, type MigrationSet, type PostgresConnection, baselinePostgres, isMfmigError, migrationLabel } from '@mfmig/core';
import type { ToolAdoption } from './tool-adoption.js';
import { matchToolHistory } from './tools/match-tool-history.js';
import { readToolHistory } from './tools/tool-history-readers.js';

/** Options of {@link adoptPostgresToolHistory}. */
export interface PostgresToolAdoptionOptions {
  /** Read, match and compare; write nothing (`recorded: false`). */
  dryRun?: boolean;
  /** The run's participants, for migrations that declare data transformations (the rehearsal runs them). */
  participants?: readonly DialectParticipant[];
  /** How long to wait for another runner's lock. Default 10 s. */
  lockTimeoutMs?: number;
}

/**
 * Adopts a PostgreSQL schema another migration tool (dbmate, golang-migrate, Flyway, sqlx, Prisma,
 * Kysely, knex) has been migrating, once, while mfmig's history is empty: what that tool's history
 * table says it applied is matched to the migrations folder (as on SQLite), the migrations are
 * rehearsed in a scratch schema, and when that version's schema equals the live one (that tool's
 * tables left out), every migration up to it is recorded as applied, none run, with an audit row
 * named after the tool. The other tool's table is only read.
 *
 * Returns null when there is nothing to adopt: mfmig has a history (or another runner adopted the
 * schema meanwhile), no tool's table is there, or that tool applied nothing. Refuses
 * (ADOPTION_REFUSED, nothing written) a dirty, failed or locked history, a migration the folder
 * does not hold, a gap, several tools' tables, and a schema that differs from the version the
 * tool reached. A module migration read for its metadata only (`modules: 'metadata'`, as the
 * reading commands load them) is never run: the schema it builds is unknown, so the check throws
 * MIGRATION_FAILED without rehearsing (a reading command reports it as not checked).
 *
 * @example
 * const conn = await openPostgres(process.env.DATABASE_URL!);
 * const adoption = await adoptPostgresToolHistory(conn, process.env.DATABASE_URL!, migrations);
 * if (adoption) console.log(`${adoption.tool}: at version ${adoption.version}`);
 * await new DialectMigrator({ connection: conn, migrations }).migrate(); // runs only what the tool did not
 */
export async function adoptPostgresToolHistory(
  conn: PostgresConnection,
  url: string,
  migrations: MigrationSet,
  options: PostgresToolAdoptionOptions = {},
): Promise<ToolAdoption | null> {
  if ((await conn.history.list()).length > 0) return null;
  const history = await readToolHistory(conn);
  if (!history) return null;
  const matched = matchToolHistory(history, migrations);
  if (matched.version === 0 && matched.migrations.length === 0) return null;
  const unloaded = matched.migrations.find((m) => m.metadataOnly === true);
  if (unloaded) {
    throw new MfmigError(
      'MIGRATION_FAILED',
      `Cannot compute the schema of version ${matched.version}: module migration ${migrationLabel(unloaded)} was read for its metadata only, and its code is not run here`,
      { context: { version: matched.version, migration: unloaded.name } },
    );
  }
  let runId: string | null;
  try {
    const result = await baselinePostgres(conn, url, migrations, {
      to: matched.version,
      dryRun: options.dryRun,
      participants: options.participants,
      lockTimeoutMs: options.lockTimeoutMs,
      source: { tool: history.tool, table: history.table },
      repeatables: matched.repeatables.map((r) => ({ name: r.name, checksum: r.checksum })),
    });
    runId = result.runId;
  } catch (error) {
    // a runner started beside this one adopted the schema first (and may have migrated it further,
    // so that it no longer matches): its history is the one to go on from
    if (isMfmigError(error) && error.code === 'ADOPTION_REFUSED' && (await conn.history.list()).length > 0) return null;
    throw error;
  }
  return {
    tool: history.tool,
    table: history.table,
    version: matched.version,
    versions: matched.migrations.map((m) => m.version),
    repeatables: matched.repeatables.map((r) => r.name),
    recorded: runId !== null,
    runId,
  };
}
