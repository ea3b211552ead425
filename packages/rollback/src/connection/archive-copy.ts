import { type DialectStep, quoteIdentifier as q } from '@mfmig/core';
import { ARCHIVE_SCHEMA, ensureArchiveSchema, registerArchive } from './archive-schema.js';
import type { TableLoss } from './table-state.js';

/** One archive a down made: what the run reports. */
export interface ConnectionPreserved {
  archiveId: number;
  kind: TableLoss['kind'];
  table: string;
  columns: string[];
  rows: number;
  /** `mfmig_archive.<table>` */
  location: string;
  /** Kept, not put back by a later up (see `ConnectionArchive.held`). */
  held?: true;
}

/**
 * Copies what the down is about to lose into tables of the archive schema, before the down runs
 * for real, in its transaction: a dropped table whole, the key and values of dropped columns, and
 * the rows of a changed table (pruned by {@link pruneUnchanged} once the down ran).
 *
 * @example
 * const copies = await copyLosses(step, 'public', losses);
 */
export async function copyLosses(step: DialectStep, schema: string, losses: readonly TableLoss[]): Promise<ConnectionPreserved[]> {
  if (losses.length === 0) return [];
  const conn = step.connection;
  await ensureArchiveSchema(conn);
  const total = losses.reduce((n, l) => n + l.rows, 0);
  let done = 0;
  const copies: ConnectionPreserved[] = [];
  for (const loss of losses) {
    const columns = loss.kind === 'columns' ? [...loss.primaryKey, ...loss.columns.filter((c) => !loss.primaryKey.includes(c))] : loss.columns;
    const { id, table } = await registerArchive(conn, {
      sourceSchema: schema,
      version: step.migration.version,
      migration: step.migration.name,
      runId: step.runId,
      kind: loss.kind,
      sourceTable: loss.table,
      columns,
      primaryKey: loss.primaryKey,
      rows: loss.rows,
      held: step.undoesFailedUp === true,
    });
    const custom = await customTypedColumns(step, schema, loss.table);
    const select = columns.map((c) => (custom.has(c) ? `${q(c)}::text COLLATE "default" AS ${q(c)}` : q(c))).join(', ');
    const rows = await conn.execute(`CREATE TABLE ${ARCHIVE_SCHEMA}.${q(table)} AS SELECT ${select} FROM ${q(schema)}.${q(loss.table)}`);
    copies.push({
      archiveId: id,
      kind: loss.kind,
      table: loss.table,
      columns,
      rows,
      location: `${ARCHIVE_SCHEMA}.${table}`,
      ...(step.undoesFailedUp ? { held: true as const } : {}),
    });
    done += loss.rows;
    step.progress({ operation: 'archive', done, total, unit: 'rows' });
  }
  return copies;
}

/**
 * Columns whose type or collation the schema defines (an enum, a domain, a collation of its own):
 * archived as text, so the archive does not depend on a type the down may drop next. The restore
 * casts every value back to the column's type.
 */
async function customTypedColumns(step: DialectStep, schema: string, table: string): Promise<Set<string>> {
  const rows = await step.connection.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
        AND (t.typnamespace <> 'pg_catalog'::regnamespace OR (a.attcollation <> 0 AND a.attcollation <> t.typcollation))`,
    [`${q(schema)}.${q(table)}`],
  );
  return new Set(rows.map((r) => r.name));
}

/**
 * After the down ran: drops from a changed table's archive the rows the table still holds unchanged
 * (compared over the columns it kept), so the archive keeps exactly what the down deleted or
 * changed. An archive left empty is removed with its registry row.
 *
 * @example
 * const kept = await pruneUnchanged(step, 'public', copy);
 */
export async function pruneUnchanged(step: DialectStep, schema: string, copy: ConnectionPreserved): Promise<number> {
  const conn = step.connection;
  const now = await conn.introspector.table(copy.table);
  const archive = copy.location.slice(ARCHIVE_SCHEMA.length + 1);
  if (now) {
    const kept = copy.columns.filter((c) => now.columns.some((n) => n.name === c));
    const row = (alias: string) => `ROW(${kept.map((c) => `${alias}.${q(c)}`).join(', ')})::text`;
    await conn.execute(`DELETE FROM ${ARCHIVE_SCHEMA}.${q(archive)} AS a WHERE ${row('a')} IN (SELECT ${row('t')} FROM ${q(schema)}.${q(copy.table)} AS t)`);
  }
  const [left] = await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${ARCHIVE_SCHEMA}.${q(archive)}`);
  const rows = Number(left!.n);
  if (rows === 0) {
    await conn.execute(`DROP TABLE ${ARCHIVE_SCHEMA}.${q(archive)}`);
    await conn.execute(`DELETE FROM ${ARCHIVE_SCHEMA}.archives WHERE id = $1`, [copy.archiveId]);
  } else {
    await conn.execute(`UPDATE ${ARCHIVE_SCHEMA}.archives SET rows = $2 WHERE id = $1`, [copy.archiveId, rows]);
  }
  return rows;
}
