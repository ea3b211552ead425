import type { DialectConnection } from '@mfmig/core';
import { MfmigError } from '@mfmig/core';
import type { ResolvedTransformation } from '../declaration/data-transformation.js';
import { requireTable } from './connection-queries.js';

/** The source column batches and pages are cut on. */
export interface SourceKey {
  column: string;
  /** Its type as the catalogs spell it (`integer`, `bigint`, `text`, ...). */
  type: string;
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/**
 * The key a transformation's source is batched on: `sourceKey`, else the source's single-column
 * primary key. SQL batches cut key ranges, so they need an integer key (`integer: true`); row
 * pages only need an ordered one. No such key is `TRANSFORMATION_INVALID`, with what to declare.
 *
 * @example
 * const key = await sourceKeyOf(conn, t, 'copy_lines', { integer: true }); // { column: 'id', type: 'integer' }
 */
export async function sourceKeyOf(conn: DialectConnection, t: ResolvedTransformation, unitId: string, need: { integer: boolean }): Promise<SourceKey> {
  const info = await requireTable(conn, t.sourceTable, unitId, 'source');
  const column = t.sourceKey ?? (info.primaryKey.length === 1 ? info.primaryKey[0] : undefined);
  const refuse = (why: string) =>
    new MfmigError('TRANSFORMATION_INVALID', `Transformation ${unitId} runs in batches over ${t.sourceTable}, ${why}`, {
      context: { transformation: unitId, table: t.sourceTable },
    });
  if (column === undefined) {
    throw refuse(`which has no single-column primary key; declare sourceKey (${need.integer ? 'an integer column' : 'a unique column'})`);
  }
  const found = info.columns.find((c) => c.name === column);
  if (!found) throw refuse(`whose key column ${column} does not exist`);
  if (need.integer && !isIntegerType(conn, found.type)) {
    throw refuse(`whose key ${column} is ${found.type}, not an integer: @batchStart/@batchEnd ranges need an integer sourceKey`);
  }
  return { column, type: found.type };
}

/** PostgreSQL's integer types; on SQLite, a declared type with INTEGER affinity (it contains `INT`). */
function isIntegerType(conn: DialectConnection, type: string): boolean {
  return conn.dialect === 'sqlite' ? /int/i.test(type) : INTEGER_TYPES.has(type);
}
