import {
  type DatabaseLike,
  MfmigError,
  adapterOf,
  type MigrationContext,
  type RebuildTableResult,
  type RebuildTableSpec,
  type TableRebuilder,
  isMfmigError,
  wrapSqliteError,
} from '@mfmig/core';
import { runRebuildSteps } from './rebuild-steps.js';

/**
 * The core {@link TableRebuilder} behind `ctx.rebuildTable(spec)`: runs the rebuild inside the
 * migration's transaction through `ctx.exec` (so a dry run records its statements). The core
 * switches foreign keys off outside the transaction for a migration that declares
 * `foreignKeys: 'off'` and runs `foreign_key_check` before its commit.
 *
 * @example
 * // in a migration with `export const meta = { foreignKeys: 'off' }`:
 * ctx.rebuildTable({ table: 'kb_entries', createSql: 'CREATE TABLE kb_entries (id INTEGER PRIMARY KEY, title TEXT NOT NULL)' });
 */
export const rebuildTableInMigration: TableRebuilder = (ctx: MigrationContext, spec: RebuildTableSpec): RebuildTableResult => {
  return runRebuildSteps(
    {
      db: ctx.adapter,
      exec: (sql) => ctx.exec(sql),
      warn: (message) => ctx.logger.log({ level: 'warn', event: 'rebuild.index_skipped', message }),
    },
    spec,
  );
};

/**
 * Rebuilds a table on its own, the whole official dance: foreign keys off (outside any
 * transaction), `BEGIN IMMEDIATE`, the rebuild steps, `foreign_key_check`, `COMMIT`, foreign
 * keys restored. Any failure rolls everything back and leaves the database as it was.
 *
 * @example
 * rebuildTable(new Database('./knowledge.db'), {
 *   table: 'kb_tags',
 *   createSql: 'CREATE TABLE kb_tags (entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE, tag TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY (entry_id, tag)) WITHOUT ROWID',
 * });
 */
export function rebuildTable(database: DatabaseLike, spec: RebuildTableSpec): RebuildTableResult {
  const db = adapterOf(database);
  if (db.inTransaction) {
    throw new MfmigError(
      'USAGE',
      `rebuildTable(${spec.table}) must run outside a transaction: foreign keys can only be switched off there; inside a migration use ctx.rebuildTable`,
    );
  }
  const foreignKeysWereOn = db.foreignKeysEnabled();
  if (foreignKeysWereOn) db.setForeignKeys(false);
  try {
    db.beginImmediate();
    try {
      const result = runRebuildSteps({ db, exec: (sql) => db.exec(sql) }, spec);
      db.commit();
      return result;
    } catch (error) {
      db.rollback();
      throw isMfmigError(error) ? error : wrapSqliteError(error, 'MIGRATION_FAILED', `Rebuild of table ${spec.table} failed`, { table: spec.table });
    }
  } finally {
    if (foreignKeysWereOn) db.setForeignKeys(true);
  }
}
