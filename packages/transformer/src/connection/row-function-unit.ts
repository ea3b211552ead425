import type { DialectConnection } from '@mfmig/core';
import { isMfmigError, quoteIdentifier } from '@mfmig/core';
import { pluginKeyOf } from './adopted-cursor.js';
import type { Row } from '../declaration/data-transformation.js';
import { defaultWriteMode } from '../declaration/transformation-types.js';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { transformationError } from '../run/statement-runner.js';
import { BatchRowWriter } from './batch-row-writer.js';
import { countRows, requireTable, scalarOf } from './connection-queries.js';
import { pageKey } from './page-key.js';
import type { UnitCounts, UnitRunContext } from './connection-result.js';
import { throwIfInterrupted } from './interruption.js';
import { sourceKeyOf } from './source-key.js';

/**
 * Runs a unit's row function in the caller's transaction: pages the source by its key
 * (`WHERE key > $1 ORDER BY key LIMIT batchSize`, up to the key's max when it starts), calls
 * the function on each row (its `columns`, with the key, or all), and writes what it returns
 * (nothing, a row, or rows) with a {@link BatchRowWriter} in the unit's write mode: declared,
 * else by type (merge upsert, enrich update, else insert), keyed by `key` or the target's
 * primary key. `from` goes on after a key, by the given column: where SQLite's plugin left the
 * unit's batches (see `rowFunctionResumePoint`).
 *
 * @example
 * const counts = await runRowFunctionUnit(conn, unit, { batchSize: 10_000 }); // { rowsRead: 500, rows: 1_500, batches: 1 }
 */
export async function runRowFunctionUnit(
  conn: DialectConnection,
  unit: TransformationUnit,
  run: UnitRunContext,
  from?: { column: string; after: unknown },
): Promise<UnitCounts> {
  const t = unit.transformation;
  const key = from ? { column: from.column } : await rowKeyOf(conn, unit);
  const writer = await rowWriterOf(conn, unit);
  const k = quoteIdentifier(key.column);
  const source = quoteIdentifier(t.sourceTable);
  const endKey = pageKey(conn, `max(${k})`);
  const endRow = (await conn.query<Record<string, unknown>>(`SELECT ${endKey.columns} FROM ${source}`))[0];
  const end = endRow ? endKey.take(endRow) : null;
  if (end === null || end === undefined) return { rowsRead: 0, rows: 0, batches: 0 };
  const total = from ? Number(await scalarOf(conn, `SELECT count(*) FROM ${source} WHERE ${k} > $1`, [from.after])) : await countRows(conn, t.sourceTable);
  const columns = rowColumns(unit, key.column);
  const rowKey = pageKey(conn, k);
  const select = `SELECT ${columns}, ${rowKey.columns} FROM ${source}`;
  const first = `${select} WHERE ${k} <= $1 ORDER BY ${k} LIMIT ${run.batchSize}`;
  const next = `${select} WHERE ${k} > $2 AND ${k} <= $1 ORDER BY ${k} LIMIT ${run.batchSize}`;
  let after: unknown = from?.after ?? null;
  let read = 0;
  let written = 0;
  let batches = 0;
  for (;;) {
    throwIfInterrupted(run.signal, unit.id, read);
    const page: Row[] = after === null ? await conn.query(first, [end]) : await conn.query(next, [end, after]);
    if (page.length === 0) break;
    const keys = page.map((row) => rowKey.take(row));
    after = keys[keys.length - 1];
    written += await transformPage(unit, page, writer);
    read += page.length;
    batches++;
    run.onProgress?.({ operation: `transform ${unit.id}`, done: read, total: Math.max(total, read), unit: 'rows' });
    if (page.length < run.batchSize) break;
  }
  return { rowsRead: read, rows: written, batches };
}

/**
 * The writer of a unit's row function: into its target, in its write mode (declared, else by
 * type: merge upsert, enrich update, else insert), keyed by `key` or the target's primary key.
 */
export async function rowWriterOf(conn: DialectConnection, unit: TransformationUnit): Promise<BatchRowWriter> {
  const t = unit.transformation;
  const target = await requireTable(conn, t.targetTable, unit.id, 'target');
  const mode = t.writeMode ?? defaultWriteMode(t.transformationType);
  const writeKey = mode === 'insert' ? (t.key ?? []) : (t.key ?? target.primaryKey);
  return new BatchRowWriter(conn, t.targetTable, mode, writeKey, new Map(target.columns.map((c) => [c.name, c.type])), unit.id);
}

/** What a row function's page selects: its `columns` with the key, or every column. SQLite's rowid is no column of the row (as under the plugin). */
export function rowColumns(unit: TransformationUnit, keyColumn: string): string {
  const wanted = unit.transformation.columns;
  return wanted ? [...new Set(keyColumn === 'rowid' ? wanted : [keyColumn, ...wanted])].map(quoteIdentifier).join(', ') : '*';
}

/** Calls a unit's row function on each row of a page and writes what it returns (nothing, a row, or rows); the rows written. */
export async function transformPage(unit: TransformationUnit, page: Row[], writer: BatchRowWriter): Promise<number> {
  const fn = unit.transformation.transform!;
  const out: Row[] = [];
  for (const row of page) {
    let result: ReturnType<typeof fn>;
    try {
      result = fn(row);
    } catch (error) {
      throw transformationError(error, unit.id);
    }
    if (result === null || result === undefined) continue;
    if (Array.isArray(result)) for (const r of result) out.push(r);
    else out.push(result);
  }
  return writer.write(out);
}

/**
 * The column a row function pages its source by: `sourceKey`, else the single-column primary key;
 * on SQLite, a table with neither pages by `rowid`, as under SQLite's plugin.
 */
async function rowKeyOf(conn: DialectConnection, unit: TransformationUnit): Promise<{ column: string }> {
  try {
    return await sourceKeyOf(conn, unit.transformation, unit.id, { integer: false });
  } catch (error) {
    const rowid = isMfmigError(error) && error.code === 'TRANSFORMATION_INVALID' && (await pluginKeyOf(conn, unit.transformation, unit.id)) === 'rowid';
    if (rowid) return { column: 'rowid' };
    throw error;
  }
}
