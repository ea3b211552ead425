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
  if (conn.inTransaction) {
    throw new MfmigError(
      'USAGE',
      `rebuildTable(${spec.table}) must run outside a transaction: foreign keys can only be switched off there; inside a migration use ctx.rebuildTable`,
    );
  }
  const foreignKeysWereOn = await conn.foreignKeysEnabled();
  if (foreignKeysWereOn) await conn.setForeignKeys(false);
  try {
    return await conn.transaction(() => runSqliteProgram(conn, rebuildSteps(spec)));
  } catch (error) {
    throw isMfmigError(error) ? error : wrapSqliteError(error, 'MIGRATION_FAILED', `Rebuild of table ${spec.table} failed`, { table: spec.table });
  } finally {
    if (foreignKeysWereOn) await conn.setForeignKeys(true);
  }
}
