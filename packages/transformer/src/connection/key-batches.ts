import type { DialectConnection } from '@mfmig/core';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { savedByPlugin } from './adopted-cursor.js';
import type { ConnectionCursor } from './connection-cursor-store.js';
import { RowFunctionBatches } from './row-function-batches.js';
import type { KeyBatches } from './source-key-range.js';
import { SqlKeyBatches } from './sql-key-batches.js';

/**
 * A unit's keyset batches, SQL or row function, or null when it cannot run in key ranges. A row
 * function that SQLite's plugin left part-done (`cursor` saved with the key's own value) is not
 * batched on: it finishes from the plugin's resume point in the final transaction.
 *
 * @example
 * const batches = await keyBatchesOf(conn, unit, cursor);
 */
export async function keyBatchesOf(conn: DialectConnection, unit: TransformationUnit, cursor?: ConnectionCursor): Promise<KeyBatches | null> {
  if (!unit.transformation.transform) return SqlKeyBatches.of(conn, unit);
  return cursor && savedByPlugin(cursor) ? null : RowFunctionBatches.of(conn, unit);
}
