import {
  type DatabaseLike,
  MfmigError,
  type MigrationContext,
  type RebuildTableResult,
  type RebuildTableSpec,
  type SqliteConnection,
  type TableRebuilder,
  isMfmigError,
  runSqliteProgram,
  runSqliteProgramInMigration,
  sqliteConnectionOf,
  wrapSqliteError,
} from '@mfmig/core';
import { rebuildSteps } from './rebuild-steps.js';

/**
 * The core {@link TableRebuilder} behind `ctx.rebuildTable(spec)`: runs the rebuild inside the
 * migration's transaction through `ctx.exec` (so a dry run records its statements), synchronously,
 * as a SQLite migration body runs. The core switches foreign keys off outside the transaction for
 * a migration that declares `foreignKeys: 'off'` and runs `foreign_key_check` before its commit.
 *
 * @example
 * // in a migration with `export const meta = { foreignKeys: 'off' }`:
 * ctx.rebuildTable({ table: 'kb_entries', createSql: 'CREATE TABLE kb_entries (id INTEGER PRIMARY KEY, title TEXT NOT NULL)' });
 */
export const rebuildTableInMigration: TableRebuilder = (ctx: MigrationContext, spec: RebuildTableSpec): RebuildTableResult =>
  runSqliteProgramInMigration(ctx, rebuildSteps(spec, { warn: (message) => ctx.logger.log({ level: 'warn', event: 'rebuild.index_skipped', message }) }));

/**
 * Rebuilds a table on its own, the whole official dance, through the connection: foreign keys off
 * (outside any transaction), `BEGIN IMMEDIATE`, the rebuild steps, `foreign_key_check`, `COMMIT`,
 * foreign keys restored. Any failure rolls everything back and leaves the database as it was.
 * Takes a `SqliteConnection`, or a better-sqlite3 database (its connection, `sqliteConnectionOf`).
 *
 * @example
 * await rebuildTable(await openSqlite('./knowledge.db'), {
 *   table: 'kb_tags',
 *   createSql: 'CREATE TABLE kb_tags (entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE, tag TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY (entry_id, tag)) WITHOUT ROWID',
 * });
 */
export async function rebuildTable(database: SqliteConnection | DatabaseLike, spec: RebuildTableSpec): Promise<RebuildTableResult> {
  const conn = sqliteConnectionOf(database);
  // one rebuild at a time on a connection: a second one would run inside the first one's transaction
  const mine = (running.get(conn) ?? Promise.resolve()).then(() => rebuildAlone(conn, spec));
  running.set(
    conn,
    mine.catch(() => {}),
  );
  return mine;
}

/** The standalone rebuild under way on each connection, that the next one waits for. */
const running = new WeakMap<SqliteConnection, Promise<unknown>>();

async function rebuildAlone(conn: SqliteConnection, spec: RebuildTableSpec): Promise<RebuildTableResult> {
  if (conn.inTransaction) {
    throw new MfmigError(
      'USAGE',
      `rebuildTable(${spec.table}) must run outside a transaction: foreign keys can only be switched off there; inside a migration use ctx.rebuildTable`,
    );
  }
  const foreignKeysWereOn = await conn.foreignKeysEnabled();
  // refused if a transaction began meanwhile: then nothing was switched
  if (foreignKeysWereOn) await conn.setForeignKeys(false);
  let failed = false;
  try {
    // begin, not transaction(): a transaction another caller opened meanwhile makes it fail rather than nest
    await conn.begin();
    try {
      const result = await runSqliteProgram(conn, rebuildSteps(spec));
      await conn.commit();
      return result;
    } catch (error) {
      await conn.rollback();
      throw error;
    }
  } catch (error) {
    failed = true;
    throw isMfmigError(error) ? error : wrapSqliteError(error, 'MIGRATION_FAILED', `Rebuild of table ${spec.table} failed`, { table: spec.table });
  } finally {
    // never hides the rebuild's own error
    if (foreignKeysWereOn) await conn.setForeignKeys(true).catch((error: unknown) => (failed ? undefined : Promise.reject(error)));
  }
}
