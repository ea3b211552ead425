import { MfmigError, messageOf } from '../errors/index.js';
import type { MigrationSet } from '../migration/index.js';
import type { RunnableConnection } from './dialect.js';
import type { DialectParticipant } from './dialect-participant.js';

/** What {@link findUnadoptedTablesOn} found. */
export interface UnadoptedTables {
  /** Live tables the migrations create too. */
  tables: string[];
  /** Why the migrations' tables could not be known (a rehearsal that failed, or no place to hold one): every live table is then named. */
  unknownBecause: string | null;
}

/**
 * The participant of an adoption rehearsal in place of the transformer: on an empty scratch place
 * declared transformations have no rows to move, and what a rehearsal looks for is the tables.
 */
export const SCRATCH_TRANSFORMATIONS: DialectParticipant = { name: 'transformations (none on an empty scratch)', runsTransformations: true };

/** Runs the migrations, all of them, on an empty scratch connection; what a run returns (its `error`, if it failed). */
export type ScratchRehearser = (scratch: RunnableConnection) => Promise<{ error?: Error }>;

/**
 * The live tables that the migrations would create, when the database (or schema) has no
 * migration history: migrating it would run version 1 over them. Empty when it has a history,
 * holds no table, or holds only tables no migration creates. Which tables the migrations create
 * is learnt by running them on an empty scratch place of the same dialect
 * (`connection.openScratch`), so SQL and module migrations count alike; when that is not possible
 * or fails, every live table counts. Table names compare case-insensitively on SQLite, exactly on
 * PostgreSQL. Reads only.
 *
 * @example
 * const { tables } = await findUnadoptedTablesOn(conn, migrations, (scratch) => new DialectMigrator({ connection: scratch, migrations }).migrate());
 */
export async function findUnadoptedTablesOn(conn: RunnableConnection, migrations: MigrationSet, rehearse: ScratchRehearser): Promise<UnadoptedTables> {
  const none: UnadoptedTables = { tables: [], unknownBecause: null };
  if (migrations.migrations.length === 0 || (await conn.history.list()).length > 0) return none;
  const live = (await conn.introspector.tables()).map((t) => t.name);
  if (live.length === 0) return none;
  // read again: another runner may have committed its first migration, tables and history row
  // together, between the two reads above
  if ((await conn.history.list()).length > 0) return none;
  if (!conn.openScratch) return { tables: live, unknownBecause: `the ${conn.dialect} connection has no scratch place to rehearse the migrations in` };
  try {
    const created = await rehearsedTables(conn, rehearse);
    const key = conn.dialect === 'sqlite' ? (name: string) => name.toLowerCase() : (name: string) => name;
    const made = new Set(created.map(key));
    return { tables: live.filter((name) => made.has(key(name))), unknownBecause: null };
  } catch (error) {
    return { tables: live, unknownBecause: messageOf(error) };
  }
}

/** The tables the migrations leave in an empty scratch place. */
async function rehearsedTables(conn: RunnableConnection, rehearse: ScratchRehearser): Promise<string[]> {
  const scratch = await conn.openScratch!();
  try {
    const run = await rehearse(scratch.connection);
    if (run.error) throw run.error;
    return (await scratch.connection.introspector.tables()).map((t) => t.name);
  } finally {
    await scratch.dispose();
  }
}

/**
 * The refusal (ADOPTION_REQUIRED) of a migrate run over a database made before mfmig, naming what
 * {@link findUnadoptedTablesOn} found; null when it found nothing.
 *
 * @example
 * const refusal = adoptionRefusal(conn, found); if (refusal) throw refusal;
 */
export function adoptionRefusal(conn: RunnableConnection, found: UnadoptedTables): MfmigError | null {
  if (found.tables.length === 0) return null;
  const shown = found.tables.slice(0, 5).join(', ') + (found.tables.length > 5 ? ` and ${found.tables.length - 5} more` : '');
  const which = found.unknownBecause
    ? `already holds tables (${shown}), and rehearsing the migrations to learn which they create failed (${found.unknownBecause})`
    : `already holds tables the migrations create (${shown})`;
  const place = conn.dialect === 'sqlite' ? `Database ${conn.target}` : conn.target;
  return new MfmigError(
    'ADOPTION_REQUIRED',
    `${place} has no migration history but ${which}; migrating would run the migrations from version 1 over its data, so it was left unchanged. Adopt it at the version its schema matches first (\`mfmig baseline\`)`,
    { context: { target: conn.target, tables: found.tables } },
  );
}
