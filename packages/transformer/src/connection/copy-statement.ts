import type { DialectConnection } from '@mfmig/core';
import { MfmigError, quoteIdentifier } from '@mfmig/core';
import type { ResolvedTransformation } from '../declaration/data-transformation.js';
import { requireTable } from './connection-queries.js';

/**
 * The SQL of a `copy` declared without SQL: `INSERT INTO target (cols) SELECT cols FROM source`
 * over `columns`, else the columns both tables have (as on SQLite).
 *
 * @example
 * await copyStatementOn(conn, t); // 'INSERT INTO "kb_archive" ("id", "title") SELECT "id", "title" FROM "kb_entries"'
 */
export async function copyStatementOn(conn: DialectConnection, t: ResolvedTransformation, unitId: string): Promise<string> {
  let columns = t.columns;
  if (!columns) {
    const target = new Set((await requireTable(conn, t.targetTable, unitId, 'target')).columns.map((c) => c.name));
    columns = (await requireTable(conn, t.sourceTable, unitId, 'source')).columns.map((c) => c.name).filter((c) => target.has(c));
  }
  if (columns.length === 0) {
    throw new MfmigError('TRANSFORMATION_INVALID', `Copy ${unitId}: ${t.sourceTable} and ${t.targetTable} share no column; declare columns or sql`, {
      context: { transformation: unitId },
    });
  }
  const list = columns.map(quoteIdentifier).join(', ');
  return `INSERT INTO ${quoteIdentifier(t.targetTable)} (${list}) SELECT ${list} FROM ${quoteIdentifier(t.sourceTable)}`;
}
