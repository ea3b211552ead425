import type { DatabaseAdapter, Migration } from '@mfmig/core';
import { analyseDownSql, reverseSqlOf, transformationTables } from './down-sql-analysis.js';
import { tableInventory } from './table-inventory.js';

/**
 * The tables whose rows a probe of `m`'s down compares one by one, besides those it drops or
 * shrinks: the ones its SQL and its transformations' reverses DELETE from, UPDATE or REPLACE into,
 * and the transformations' targets. A module down's writes (through Kysely, `ctx.exec` or
 * `ctx.raw`) are not known beforehand, so for one every table is compared. Read when the probe
 * asks: after the down ran, in its savepoint.
 *
 * @example
 * await probeDataLoss(adapter, () => runDown(), downWrittenTables(adapter, m));
 */
export function downWrittenTables(adapter: DatabaseAdapter, m: Migration): () => string[] {
  if (m.downSql === undefined) return () => [...tableInventory(adapter, { counts: false }).keys()];
  const written = [m.downSql, ...reverseSqlOf(m.transformations)].flatMap((sql) => analyseDownSql(sql).writtenTables);
  return () => [...new Set([...written, ...transformationTables(m.transformations)])];
}
