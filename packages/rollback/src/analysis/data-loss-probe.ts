import type { SqliteConnection } from '@mfmig/core';
import { lostRowKeys, rowDigests } from './row-digest.js';
import { type RowKey, type TableInfo, dataColumns, rowKeyOf, tableInventory } from './table-inventory.js';

/** Data a down migration destroys: a whole table, some columns of a table, or some rows. */
export interface DataLoss {
  table: string;
  kind: 'table' | 'columns' | 'rows';
  /** The table's data columns (`table`, `rows`) or the dropped ones (`columns`). */
  columns: string[];
  /** Rows concerned: all rows of a dropped table or of a table losing columns; deleted + changed rows otherwise. */
  rows: number;
  key: RowKey;
  /** For `rows`: the keys (see `keyExpression`) of the rows deleted or changed. */
  keys: string[];
  deleted: number;
  changed: number;
}

/** What a probe found. */
export interface ProbeResult {
  losses: DataLoss[];
  /** Virtual tables the down drops: their content is derived (full-text indexes) and is not archived. */
  droppedVirtualTables: string[];
}

const SAVEPOINT = 'mfmig_probe';

/**
 * Runs a down migration inside a SAVEPOINT, compares the schema and row counts before and after,
 * then rolls back to the savepoint: the database is left exactly as it was. Tables whose row
 * count fell, that were rebuilt (new root page) or that the down's SQL writes are compared row
 * by row, so deleted and changed rows are found too (also those removed by ON DELETE CASCADE).
 * `writtenTables` may be a function: it is asked after the down ran, so that it can name the
 * tables the down's recorded statements wrote (module downs).
 * An error of the down is rethrown after the rollback.
 *
 * @example
 * const { losses } = await probeDataLoss(ctx.connection, () => migration.down!(db, ctx), []);
 */
export async function probeDataLoss(conn: SqliteConnection, runDown: () => Promise<void>, writtenTables: string[] | (() => string[])): Promise<ProbeResult> {
  const before = await tableInventory(conn);
  await conn.execute(`SAVEPOINT ${SAVEPOINT}`);
  const digests = new Map<string, { key: RowKey; columns: string[]; after: Map<string, string> }>();
  const losses: DataLoss[] = [];
  const droppedVirtualTables: string[] = [];
  try {
    await runDown();
    const written = new Set((typeof writtenTables === 'function' ? writtenTables() : writtenTables).map((t) => t.toLowerCase()));
    const after = await tableInventory(conn);
    for (const table of before.values()) {
      const now = after.get(table.name);
      if (table.kind === 'virtual') {
        if (!now) droppedVirtualTables.push(table.name);
        continue;
      }
      if (!now) {
        losses.push(lossOf(table, 'table', dataColumns(table), table.rowCount));
        continue;
      }
      const kept = new Set(dataColumns(now));
      const dropped = dataColumns(table).filter((c) => !kept.has(c));
      if (dropped.length > 0) losses.push(lossOf(table, 'columns', dropped, table.rowCount));
      const key = rowKeyOf(table);
      const keyKept = key.kind === 'rowid' ? !now.withoutRowid : key.columns.every((c) => kept.has(c));
      const touched = now.rowCount < table.rowCount || now.rootpage !== table.rootpage || written.has(table.name.toLowerCase());
      if (touched && keyKept && table.rowCount > 0) {
        const common = dataColumns(table).filter((c) => kept.has(c));
        digests.set(table.name, { key, columns: common, after: await rowDigests(conn, table.name, common, key) });
      }
    }
  } finally {
    await conn.execute(`ROLLBACK TO ${SAVEPOINT}`);
    await conn.execute(`RELEASE ${SAVEPOINT}`);
  }
  for (const [name, d] of digests) {
    const { deleted, changed } = await lostRowKeys(conn, name, d.columns, d.key, d.after);
    if (deleted.length + changed.length === 0) continue;
    const table = before.get(name)!;
    losses.push({
      ...lossOf(table, 'rows', dataColumns(table), deleted.length + changed.length),
      keys: [...deleted, ...changed],
      deleted: deleted.length,
      changed: changed.length,
    });
  }
  return { losses, droppedVirtualTables };
}

function lossOf(table: TableInfo, kind: DataLoss['kind'], columns: string[], rows: number): DataLoss {
  return { table: table.name, kind, columns, rows, key: rowKeyOf(table), keys: [], deleted: kind === 'table' ? rows : 0, changed: 0 };
}
