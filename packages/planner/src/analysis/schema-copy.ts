import {
  type DatabaseAdapter,
  HISTORY_TABLE,
  HistoryStore,
  ONLINE_TABLE,
  type SqliteSchemaRow,
  abandonOnlineRebuild,
  onlineStates,
  openDatabaseFile,
  quoteIdentifier,
} from '@mfmig/core';

const KIND_ORDER: Record<string, number> = { table: 0, index: 1, view: 2, trigger: 3 };

/**
 * The `CREATE` statements that rebuild a database's schema elsewhere: user tables (virtual
 * tables once, not their shadow tables), then indexes, views and triggers, each in creation order.
 * `mfmig_` objects are left out.
 *
 * @example
 * for (const sql of schemaStatements(live)) copy.exec(sql);
 */
export function schemaStatements(db: DatabaseAdapter): string[] {
  const catalog = db.introspector;
  const shadows = new Set(
    catalog
      .tableListSync()
      .filter((t) => t.type === 'shadow')
      .map((t) => t.name),
  );
  // SQLite's LIKE 'sqlite\_%' ignores the case of ASCII letters; substr(tbl_name, 1, 6) <> 'mfmig_' does not
  return catalog
    .catalogSync()
    .filter((r): r is SqliteSchemaRow & { sql: string } => r.sql !== null && !/^sqlite_/i.test(r.name) && !r.tbl_name.startsWith('mfmig_'))
    .filter((r) => !shadows.has(r.name))
    .sort((a, b) => (KIND_ORDER[a.type] ?? 9) - (KIND_ORDER[b.type] ?? 9))
    .map((r) => r.sql);
}

/**
 * mfmig's own tables a run reads to know where it stands: the history, the cursors of
 * batched transformations (the transformer's table), without which a rehearsal of a partially
 * applied migration would start its transformation again over rows it already wrote, and the
 * online rebuilds a killed run left (their shadow tables, see `copySchema`).
 */
export const RUN_STATE_TABLES = [HISTORY_TABLE, 'mfmig_transform_cursors', ONLINE_TABLE];

function copyTable(live: DatabaseAdapter, copy: DatabaseAdapter, table: string): void {
  // this spelling of the name only, as `name = ?` matched it
  const sql = live.introspector.catalogSync({ type: 'table', name: table }).find((r) => r.name === table)?.sql;
  if (!sql) return;
  copy.run(sql.replace(/^CREATE TABLE /i, 'CREATE TABLE IF NOT EXISTS '));
  const rows = live.all(`SELECT * FROM ${quoteIdentifier(table)}`);
  copy.transaction(() => {
    for (const row of rows) {
      const columns = Object.keys(row);
      copy.run(
        `INSERT OR REPLACE INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        columns.map((c) => row[c]),
      );
    }
  });
}

/**
 * A new database (in memory, or the file `path`) holding the schema of `live` and a copy of
 * its migration history and transformation cursors, but none of its data: what the planner runs dry runs and rehearsals on.
 * An online rebuild a killed run left is dropped from the copy (shadow table, triggers, moved
 * indexes back), as the next run drops it before it starts the rebuild over.
 *
 * @example
 * const copy = copySchema(adapter);
 * new Migrator({ adapter: copy, migrations }).migrate({ mvp: 5 }, { dryRun: true });
 */
export function copySchema(live: DatabaseAdapter, path = ':memory:'): DatabaseAdapter {
  const copy = openDatabaseFile(path, { create: true });
  try {
    copy.setForeignKeys(false);
    copy.transaction(() => {
      for (const sql of schemaStatements(live)) copy.run(sql);
    });
    copy.setForeignKeys(true);
    const history = new HistoryStore(copy);
    history.ensure();
    for (const table of RUN_STATE_TABLES) copyTable(live, copy, table);
    for (const leftover of onlineStates(copy)) abandonOnlineRebuild(copy, leftover.version);
    return copy;
  } catch (error) {
    copy.close();
    throw error;
  }
}
