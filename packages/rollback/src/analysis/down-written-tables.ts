import type { Migration, SqliteConnection } from '@mfmig/core';
import { analyseDownSql, reverseSqlOf, transformationTables } from './down-sql-analysis.js';
import { tableShapes } from './table-inventory.js';
import { scriptTouchedTables, triggerWrites } from './trigger-writes.js';

/**
 * The tables whose rows a probe of `m`'s down compares one by one, besides those it drops or
 * shrinks: the ones its SQL and its transformations' reverses DELETE from, UPDATE or REPLACE into,
 * the transformations' targets, and the tables the triggers those writes fire write in turn (read
 * before the down runs, and again after it, in its savepoint: a down may drop or make a trigger).
 * A module down's writes (through Kysely, `ctx.exec` or `ctx.raw`) are not known beforehand, so
 * for one every table is compared. Only the connection's catalog is read.
 *
 * @example
 * await probeDataLoss(conn, () => runDown(), downWrittenTables(conn, m));
 */
export function downWrittenTables(conn: SqliteConnection, m: Migration): () => string[] {
  if (m.downSql === undefined) return () => [...tableShapes(conn.introspector).keys()];
  const scripts = [m.downSql, ...reverseSqlOf(m.transformations)];
  const written = scripts.flatMap((sql) => analyseDownSql(sql).writtenTables);
  const targets = transformationTables(m.transformations);
  const touched = [...scripts.flatMap(scriptTouchedTables), ...targets];
  const fired = triggerWrites(conn.introspector)(touched);
  // read again after the down: it may have made or dropped a trigger
  return () => [...new Set([...written, ...targets, ...fired, ...triggerWrites(conn.introspector)(touched)])];
}
