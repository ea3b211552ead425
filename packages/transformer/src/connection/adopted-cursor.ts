import type { DialectConnection } from '@mfmig/core';
import { MfmigError, quoteIdentifier } from '@mfmig/core';
import type { ResolvedTransformation } from '../declaration/data-transformation.js';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import type { ConnectionCursor } from './connection-cursor-store.js';
import { requireTable } from './connection-queries.js';
import { sourceKeyOf } from './source-key.js';

/**
 * True for a cursor SQLite's plugin under `Migrator` saved with a key: it saves a key as its own
 * value, this runner as text. A row function's such cursor finishes from the plugin's resume
 * point (see {@link rowFunctionResumePoint}); this runner's own row-function cursors go on in
 * key batches.
 */
export function savedByPlugin(c: ConnectionCursor): boolean {
  return c.keyClass === 'integer' || c.keyClass === 'real';
}

/**
 * True for a cursor that says its unit ran whole: SQLite's plugin saves `done` with no key for a
 * unit that ran in the migration's transaction or in one batch. Nothing of it is left to move;
 * paging from "no key" would move every row again. (This runner's own `done` without a key is a
 * source that was empty when the move started: nothing ran, so its rows move at the end.)
 */
export function ranWhole(c: ConnectionCursor): boolean {
  return c.status === 'done' && c.lastKey === null && (c.batches > 0 || c.rowsRead > 0 || c.rowsWritten > 0);
}

/**
 * The column SQLite's plugin pages a source by: `sourceKey`, else an INTEGER PRIMARY KEY, else
 * `rowid`, else the single-column primary key of a WITHOUT ROWID table; null when none, and on
 * other dialects than SQLite.
 */
export async function pluginKeyOf(conn: DialectConnection, t: ResolvedTransformation, unitId: string): Promise<string | null> {
  if (conn.dialect !== 'sqlite') return null;
  if (t.sourceKey) return t.sourceKey;
  const info = await requireTable(conn, t.sourceTable, unitId, 'source');
  const single = info.primaryKey.length === 1 ? info.primaryKey[0]! : null;
  const rowid = await hasRowid(conn, t.sourceTable);
  if (single !== null && rowid && info.columns.find((c) => c.name === single)?.type.toUpperCase() === 'INTEGER') return single;
  return rowid ? 'rowid' : single;
}

/**
 * Checks that this runner may continue a SQL unit's cursor: its batches went over the same column
 * as this runner's (`sourceKey`, else the single-column primary key), as the cursor says
 * (`keyColumn`), or, in a cursor SQLite's plugin saved before cursors said it, as the plugin picks
 * it. The plugin pages a table without an INTEGER PRIMARY KEY by `rowid`, whose values are not the
 * key's: paging on from one would skip rows or move them twice, so that cursor is refused with
 * `TRANSFORMATION_FAILED` (the runner then takes the migration back out).
 */
export async function assertSameKey(conn: DialectConnection, unit: TransformationUnit, c: ConnectionCursor): Promise<void> {
  if (c.lastKey === null || (!c.keyColumn && !savedByPlugin(c))) return;
  const t = unit.transformation;
  // the column the cursor names, else (saved before cursors named it) the one the plugin picks
  const theirs = c.keyColumn ?? (await pluginKeyOf(conn, t, unit.id));
  const ours = (await sourceKeyOf(conn, t, unit.id, { integer: true })).column;
  if (theirs !== ours) {
    throw new MfmigError(
      'TRANSFORMATION_FAILED',
      `Transformation ${unit.id} was left part-done by Migrator in batches over ${t.sourceTable}.${theirs ?? '?'}, and this runner batches it by ${ours}; finish the migration with Migrator`,
      { context: { transformation: unit.id, table: t.sourceTable } },
    );
  }
}

/**
 * Where a row function SQLite's plugin left part-done goes on: its key column (the cursor's, else
 * as {@link pluginKeyOf} picks it) and the last key it did, bound as the value it was saved as.
 */
export async function rowFunctionResumePoint(
  conn: DialectConnection,
  unit: TransformationUnit,
  c: ConnectionCursor,
): Promise<{ column: string; after: unknown }> {
  const column = c.keyColumn ?? (await pluginKeyOf(conn, unit.transformation, unit.id));
  if (column === null || c.lastKey === null || c.keyClass === 'blob') {
    throw new MfmigError(
      'TRANSFORMATION_FAILED',
      `Transformation ${unit.id} was left part-done by Migrator over a key this runner cannot page by; finish the migration with Migrator`,
      {
        context: { transformation: unit.id },
      },
    );
  }
  const after = c.keyClass === 'integer' ? BigInt(c.lastKey) : c.keyClass === 'real' ? Number(c.lastKey) : c.lastKey;
  return { column, after };
}

async function hasRowid(conn: DialectConnection, table: string): Promise<boolean> {
  try {
    await conn.query(`SELECT rowid FROM ${quoteIdentifier(table)} LIMIT 0`);
    return true;
  } catch {
    return false;
  }
}
