import Database from 'better-sqlite3';
import { HISTORY_TABLE, HistoryStore, openDatabase, quoteIdentifier } from '@mfmig/core';

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string;
}

const KIND_ORDER: Record<string, number> = { table: 0, index: 1, view: 2, trigger: 3 };

/**
 * The `CREATE` statements that rebuild a database's schema elsewhere: user tables (virtual
 * tables once, not their shadow tables), then indexes, views and triggers, each in creation order.
 * `mfmig_` objects are left out.
 *
 * @example
 * for (const sql of schemaStatements(live)) copy.exec(sql);
 */
export function schemaStatements(db: Database.Database): string[] {
  const shadows = new Set(
    (db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'").all() as { name: string }[]).map((r) => r.name),
  );
  const rows = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(tbl_name, 1, 6) <> 'mfmig_' ORDER BY rowid")
    .all() as SchemaRow[];
  return rows
    .filter((r) => !shadows.has(r.name))
    .sort((a, b) => (KIND_ORDER[a.type] ?? 9) - (KIND_ORDER[b.type] ?? 9))
    .map((r) => r.sql);
}

/**
 * A new database (in memory, or the file `path`) holding the schema of `live` and a copy of
 * its migration history, but none of its data: what the planner runs dry runs and rehearsals on.
 *
 * @example
 * const copy = copySchema(liveDb);
 * new Migrator({ adapter: openDatabase(copy), migrations }).migrate({ mvp: 5 }, { dryRun: true });
 */
export function copySchema(live: Database.Database, path = ':memory:'): Database.Database {
  const copy = new Database(path);
  try {
    copy.pragma('foreign_keys = OFF');
    copy.transaction(() => {
      for (const sql of schemaStatements(live)) copy.exec(sql);
    })();
    copy.pragma('foreign_keys = ON');
    const adapter = openDatabase(copy);
    const history = new HistoryStore(adapter);
    history.ensure();
    if (live.prepare("SELECT 1 FROM sqlite_schema WHERE name = ?").get(HISTORY_TABLE)) {
      const rows = live.prepare(`SELECT * FROM ${quoteIdentifier(HISTORY_TABLE)}`).all() as Record<string, unknown>[];
      copy.transaction(() => {
        for (const row of rows) {
          const columns = Object.keys(row);
          copy
            .prepare(`INSERT INTO ${quoteIdentifier(HISTORY_TABLE)} (${columns.map(quoteIdentifier).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
            .run(...columns.map((c) => row[c]));
        }
      })();
    }
    return copy;
  } catch (error) {
    copy.close();
    throw error;
  }
}
