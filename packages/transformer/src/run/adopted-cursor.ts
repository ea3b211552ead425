import { MfmigError, type SqliteConnection, exactInteger } from '@mfmig/core';
import type { TransformCursor } from './cursor-store.js';
import { KeyBounds } from './key-bounds.js';
import type { PreparedUnit } from './prepared-unit.js';
import { tableColumns } from '../sql/table-info.js';

/**
 * A cursor as this runner goes on from it (a running one's batches, a done one's rows written
 * since), whichever runner saved it (`DialectMigrator`'s transformer shares the table):
 * - a cursor over another column than this runner's key (`keyColumn`) cannot continue here: that
 *   runner batches over the declared key (`sourceKey`, else the single-column primary key), this
 *   one a table without an INTEGER PRIMARY KEY over `rowid`, and paging on from another column's
 *   key would skip rows or write them twice. Nor can one whose unit does not run in key ranges
 *   here (`batchable` false), which would run whole and write its first batches' rows again. Both
 *   are refused with `TRANSFORMATION_FAILED`, and the runner takes the migration back out;
 * - an integer key saved as text (that runner saves keys as text, and a table it created keeps
 *   every key as text) reads as an integer again: SQLite compares a text parameter with an integer
 *   expression as text, so `id + 0 > @batchStart` would match nothing;
 * - a move that runner started with no key yet ("from the first row") goes on from below the first.
 *
 * @example
 * cursor = await adoptedCursor(conn, prepared, cursor, true); // lastKey '300' -> 300
 */
export async function adoptedCursor(conn: SqliteConnection, p: PreparedUnit, cursor: TransformCursor, batchable: boolean): Promise<TransformCursor> {
  if (cursor.status === 'pending') return cursor;
  // run whole, a unit whose batches began would write their rows again
  if (cursor.status === 'running' && (!batchable || p.key === null)) throw cannotResume(p, 'it cannot run in key ranges here');
  if (p.key === null) return cursor;
  if (cursor.keyColumn && cursor.keyColumn !== p.key) {
    throw cannotResume(p, `its batches went over ${cursor.keyColumn}, and this runner pages ${p.t.sourceTable} by ${p.key}`);
  }
  if (typeof cursor.lastKey !== 'string' && typeof cursor.endKey !== 'string') return cursor;
  const type = p.key === 'rowid' ? 'INTEGER' : ((await tableColumns(conn, p.t.sourceTable)).find((c) => c.name === p.key)?.type ?? '');
  if (!/int/i.test(type)) return cursor;
  // that runner starts a move with no key, meaning "from the first row"; this one from a key below it
  const fromFirst = cursor.status === 'running' && cursor.lastKey === null;
  const lastKey = fromFirst ? await new KeyBounds(conn, p.t.sourceTable, p.key).before() : integerOf(cursor.lastKey);
  return { ...cursor, lastKey, endKey: integerOf(cursor.endKey) };
}

/** A key saved as the text of an integer, as a number (a bigint beyond 2^53); anything else as it is. */
function integerOf(key: unknown): unknown {
  return typeof key === 'string' && /^-?\d+$/.test(key) ? exactInteger(BigInt(key)) : key;
}

function cannotResume(p: PreparedUnit, why: string): MfmigError {
  return new MfmigError(
    'TRANSFORMATION_FAILED',
    `Transformation ${p.unit.id} was left part-done by another runner and cannot resume here: ${why}; finish the migration with the runner that started it`,
    { context: { transformation: p.unit.id, table: p.t.sourceTable } },
  );
}
