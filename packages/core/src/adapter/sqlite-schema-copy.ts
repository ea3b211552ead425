import { HistoryStore } from '../history/history-store.js';
import { abandon } from '../runner/online/online-rebuild.js';
import { onlineStates } from '../runner/online/online-state.js';
import type { DatabaseAdapter } from './database-adapter.js';
import type { SqliteSchemaRow } from './sqlite-catalog.js';
import { openDatabaseFile } from './open-database.js';
import { quoteIdentifier } from './quote.js';

const KIND_ORDER: Record<string, number> = { table: 0, index: 1, view: 2, trigger: 3 };

/**
 * The `CREATE` statements that rebuild a database's schema elsewhere: user tables (virtual
 * tables once, not their shadow tables), then indexes, views and triggers, each in creation order.
 * `mfmig_` objects are left out.
 *
 * @example
 * for (const sql of sqliteSchemaStatements(live)) copy.exec(sql);
 */
export function sqliteSchemaStatements(db: DatabaseAdapter): string[] {
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
 * A new database (in memory, or the file `path`) holding the schema of `live` and a copy of the
 * tables `runState` names (the history, a transformer's cursors: what a run reads to know where
 * it stands), but none of the data. An online rebuild a killed run left is dropped from the copy
 * (shadow table, triggers, moved indexes back), as the next run drops it before it starts over.
 *
 * @example
 * const copy = sqliteSchemaCopy(adapter, ':memory:', ['mfmig_history']);
 */
export function sqliteSchemaCopy(live: DatabaseAdapter, path: string, runState: readonly string[]): DatabaseAdapter {
  const copy = openDatabaseFile(path, { create: true });
  try {
    copy.setForeignKeys(false);
    copy.transaction(() => {
      for (const sql of sqliteSchemaStatements(live)) copy.run(sql);
    });
    copy.setForeignKeys(true);
    new HistoryStore(copy).ensure();
    for (const table of runState) copyTable(live, copy, table);
    for (const leftover of onlineStates(copy)) abandon(copy, leftover.version);
    return copy;
  } catch (error) {
    copy.close();
    throw error;
  }
}
