import type { SqliteConnection } from '@mfmig/core';
import { adoptedCursor } from './adopted-cursor.js';
import type { TransformCursor } from './cursor-store.js';
import { KeyBounds } from './key-bounds.js';
import type { PreparedUnit } from './prepared-unit.js';
import { runStatement } from './statement-runner.js';
import { applyRowFunction, keysetPages, rowWriter } from './unit-executor.js';

/** What {@link runUnitRest} moved. */
export interface UnitRest {
  rowsRead: number;
  rowsWritten: number;
}

/**
 * In the caller's transaction (the one that marks the migration applied, which holds the write
 * lock): runs a unit that went in keyset batches over the rows written above its cursor since
 * its last batch, up to the largest key now, so that what the application wrote while the
 * migration ran is moved too and its validations hold. A unit that did not run in key ranges (in
 * the migration's transaction, or as one batch) has no cursor key and nothing to do here.
 *
 * @example
 * await conn.transaction(() => runUnitRest(conn, prepared, cursor)); // { rowsRead: 12, rowsWritten: 12 }
 */
export async function runUnitRest(conn: SqliteConnection, p: PreparedUnit, cursor: TransformCursor): Promise<UnitRest> {
  const none: UnitRest = { rowsRead: 0, rowsWritten: 0 };
  if (cursor.status !== 'done' || cursor.batches === 0 || cursor.lastKey === null || p.key === null) return none;
  if (!p.rowFn && p.batchStatements === null) return none;
  // keys another runner saved as text read as integers (and a cursor over another column is refused)
  const after = (await adoptedCursor(conn, p, cursor, true)).lastKey;
  const bounds = new KeyBounds(conn, p.t.sourceTable, p.key);
  const end = await bounds.max();
  if (end === null) return none;
  const rows = await bounds.count(after, end);
  if (rows === 0) return none;
  if (!p.rowFn) {
    let written = 0;
    for (const statement of p.batchStatements!) written += await runStatement(conn, statement, { start: after, end }, p.unit.id);
    return { rowsRead: rows, rowsWritten: written };
  }
  const writer = rowWriter(conn, p);
  let read = 0;
  let written = 0;
  for await (const page of keysetPages(conn, p, after)) {
    written += await applyRowFunction(p, page, writer);
    read += page.length;
  }
  return { rowsRead: read, rowsWritten: written };
}
