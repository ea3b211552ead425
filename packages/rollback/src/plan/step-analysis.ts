import { createHash } from 'node:crypto';
import { type Migration, type MigrationSet, type SqliteConnection, migrationLabel } from '@mfmig/core';
import type { DataLoss } from '../analysis/data-loss-probe.js';
import { analyseDownSql, reverseSqlOf } from '../analysis/down-sql-analysis.js';
import { dataColumns, tableInventory } from '../analysis/table-inventory.js';
import type { DataAtRisk } from './rollback-plan.js';

/** Why a migration cannot be reverted by running its down (a full restore is needed). */
export function blockingReasons(m: Migration | undefined): string[] {
  if (!m) return ['its migration file is missing from the migrations folder'];
  const reasons: string[] = [];
  if (!m.down) reasons.push('it has no down migration');
  for (const id of irreversibleTransformations(m)) reasons.push(`its data transformation ${id} cannot be reversed`);
  return reasons;
}

/** Why reverting a migration loses information, even though it can run. */
export function irreversibleReasons(m: Migration | undefined): string[] {
  const reasons = blockingReasons(m);
  if (m?.irreversible) reasons.push('it is marked irreversible: its down cannot restore what its up changed');
  return reasons;
}

/** Ids of the declared transformations that say they cannot be reversed. */
export function irreversibleTransformations(m: Migration): string[] {
  const ids: string[] = [];
  for (const [index, t] of m.transformations.entries()) {
    if (typeof t !== 'object' || t === null) continue;
    const record = t as { reversible?: unknown; id?: unknown };
    if (record.reversible === false) ids.push(typeof record.id === 'string' ? record.id : `#${index + 1}`);
  }
  return ids;
}

/** Data at risk as a probe measured it. */
export function fromLosses(m: Migration, losses: DataLoss[]): DataAtRisk[] {
  return losses.map((l) => ({
    version: m.version,
    migration: migrationLabel(m),
    table: l.table,
    kind: l.kind,
    columns: l.columns,
    rows: l.rows,
    estimated: false,
  }));
}

/**
 * Data at risk read from a down's SQL (and its transformations' reverses), counted on the
 * database as it is now: an estimate, used when the down cannot be probed.
 *
 * @example
 * const risk = await staticDataAtRisk(conn, m); // [{ table: 'kb_code_links', kind: 'table', rows: 340, estimated: true, ... }]
 */
export async function staticDataAtRisk(conn: SqliteConnection, m: Migration): Promise<DataAtRisk[]> {
  const tables = await tableInventory(conn);
  const out: DataAtRisk[] = [];
  const base = { version: m.version, migration: migrationLabel(m), estimated: true };
  for (const sql of [m.downSql ?? '', ...reverseSqlOf(m.transformations)]) {
    const found = analyseDownSql(sql);
    for (const name of found.droppedTables) {
      const t = tables.get(name);
      if (t && t.kind === 'table') out.push({ ...base, table: name, kind: 'table', columns: dataColumns(t), rows: t.rowCount });
    }
    for (const { table, column } of found.droppedColumns) {
      const t = tables.get(table);
      if (t) out.push({ ...base, table, kind: 'columns', columns: [column], rows: t.rowCount });
    }
    for (const name of found.writtenTables) {
      const t = tables.get(name);
      if (t && t.rowCount > 0) out.push({ ...base, table: name, kind: 'rows', columns: dataColumns(t), rows: t.rowCount });
    }
  }
  return out;
}

/** A hash of every migration's version and checksum: changes when the folder changes. */
export function migrationsFingerprint(set: MigrationSet): string {
  const hash = createHash('sha256');
  for (const m of set.migrations) hash.update(`${m.version}:${m.checksum}\n`);
  return hash.digest('hex');
}
