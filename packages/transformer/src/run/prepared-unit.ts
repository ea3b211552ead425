import { MfmigError, type SqliteConnection, quoteIdentifier, restrictToBatch, splitSqlStatements, usesBatchParams } from '@mfmig/core';
import type { ResolvedTransformation, RowFunction } from '../declaration/data-transformation.js';
import { defaultWriteMode, type WriteMode } from '../declaration/transformation-types.js';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { batchKeyOf, primaryKeyColumns, tableColumns } from '../sql/table-info.js';

/** Rows per batch: row functions hold a batch in memory, set-based SQL does not. */
export interface BatchSizes {
  rowBatchSize: number;
  sqlBatchSize: number;
}

/** A unit resolved against the database: its statements, batch key and writer settings. */
export interface PreparedUnit {
  unit: TransformationUnit;
  t: ResolvedTransformation;
  /** Source column batches page on; null when the source has no usable key. */
  key: string | null;
  /** The SQL statements as declared (or generated for a copy). Empty for a row function. */
  statements: string[];
  /** The statements restricted to `@batchStart` / `@batchEnd`; null when they cannot be batched. */
  batchStatements: string[] | null;
  rowFn?: RowFunction;
  /** Source columns a row function reads (null: all). */
  readColumns: string[] | null;
  writeMode: WriteMode;
  writeKey: string[];
  batchSize: number;
}

/**
 * Resolves a unit against the database: batch key, generated copy SQL, batch-restricted
 * statements, writer mode and key.
 *
 * @example
 * const prepared = await prepareUnit(conn, unit, { rowBatchSize: 10_000, sqlBatchSize: 100_000 });
 */
export async function prepareUnit(conn: SqliteConnection, unit: TransformationUnit, sizes: BatchSizes): Promise<PreparedUnit> {
  const t = unit.transformation;
  const key = await batchKeyOf(conn, t.sourceTable, t.sourceKey);
  const statements = t.transform ? [] : splitSqlStatements(t.sql ?? (await copySql(conn, t)));
  if (!t.transform && statements.length === 0) {
    throw new MfmigError('TRANSFORMATION_INVALID', `Transformation ${unit.id} has no SQL statement`, { context: { transformation: unit.id } });
  }
  let batchStatements: string[] | null = null;
  if (!t.transform && key !== null) {
    const restricted = statements.map((s) => (usesBatchParams(s) ? s : restrictToBatch(s, t.sourceTable, key)));
    batchStatements = restricted.every((s) => s !== null) ? (restricted as string[]) : null;
  }
  const writeMode = t.writeMode ?? defaultWriteMode(t.transformationType);
  const writeKey = t.transform && writeMode !== 'insert' ? (t.key ?? (await primaryKeyColumns(conn, t.targetTable))) : (t.key ?? []);
  const readColumns = t.columns && t.transform ? [...new Set(key && key !== 'rowid' ? [key, ...t.columns] : t.columns)] : null;
  return {
    unit,
    t,
    key,
    statements,
    batchStatements,
    rowFn: t.transform,
    readColumns,
    writeMode,
    writeKey,
    batchSize: t.batchSize ?? (t.transform ? sizes.rowBatchSize : sizes.sqlBatchSize),
  };
}

/** `INSERT INTO target (cols) SELECT cols FROM source` over the declared or the shared columns. */
async function copySql(conn: SqliteConnection, t: ResolvedTransformation): Promise<string> {
  const targetColumns = new Set((await tableColumns(conn, t.targetTable)).map((c) => c.name));
  const columns = t.columns ?? (await tableColumns(conn, t.sourceTable)).map((c) => c.name).filter((c) => targetColumns.has(c));
  if (columns.length === 0) {
    throw new MfmigError('TRANSFORMATION_INVALID', `Copy ${t.id}: ${t.sourceTable} and ${t.targetTable} share no column; declare columns or sql`, {
      context: { transformation: t.id },
    });
  }
  const list = columns.map(quoteIdentifier).join(', ');
  return `INSERT INTO ${quoteIdentifier(t.targetTable)} (${list}) SELECT ${list} FROM ${quoteIdentifier(t.sourceTable)}`;
}

/**
 * The page query of a row function: rows of the source after a key, up to an end key.
 *
 * @example
 * pageSql(prepared); // SELECT * FROM "kb_entries" WHERE "id" > ? AND "id" <= ? ORDER BY "id" LIMIT ?
 */
export function pageSql(p: PreparedUnit): string {
  const key = quoteIdentifier(p.key!);
  const columns = p.readColumns ? p.readColumns.map(quoteIdentifier).join(', ') : '*';
  const select = p.key === 'rowid' ? `rowid AS rowid, ${columns}` : columns;
  return `SELECT ${select} FROM ${quoteIdentifier(p.t.sourceTable)} WHERE ${key} > ? AND ${key} <= ? ORDER BY ${key} LIMIT ?`;
}
