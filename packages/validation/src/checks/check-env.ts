import { type IntegrityCheckLevel, type SqliteConnection, quoteIdentifier } from '@mfmig/core';
import type { MilestoneRequirements } from '../milestone/merge-requirements.js';
import type { Probe, ProbeResult } from '../probe/probe.js';
import type { CheckKind, ValidationFinding } from '../report/types.js';
import type { SchemaModel, TableInfo } from '../schema/schema-model.js';

/** What the checks of one run share. Everything here is read-only. */
export interface CheckEnv {
  /** The database the checks read (the live file, or a snapshot of it), on the async dialect boundary. */
  db: SqliteConnection;
  level: IntegrityCheckLevel;
  /** The actual user schema (catalog only). */
  schema: SchemaModel;
  /** What the milestones up to the current one require; null when the milestone is unknown. */
  requirements: MilestoneRequirements | null;
  /** Tables with at least this many rows are "large" (scans and unindexed foreign keys matter). */
  largeTableRows: number;
  /** Row count of a table, counted once per run. */
  rowCount(table: string): Promise<number>;
}

/** Identifies a check in `checksRun` / `checksSkipped`. */
export interface CheckId {
  id: string;
  kind: CheckKind;
  target?: string;
}

/** A probe together with the check it serves and how its rows become findings. */
export interface ProbeTask {
  probe: Probe;
  check: CheckId;
  /** Every check this one probe serves, when it serves several (`check` is then the first). */
  covers?: CheckId[];
  /** Turns a successful result into findings (failed results are handled by the runner). */
  interpret(result: ProbeResult): ValidationFinding[];
}

/** The levels at or above `level`, in order. */
export function levelAtLeast(level: IntegrityCheckLevel, minimum: IntegrityCheckLevel): boolean {
  const order: IntegrityCheckLevel[] = ['quick', 'standard', 'comprehensive'];
  return order.indexOf(level) >= order.indexOf(minimum);
}

/** A memoised `count(*)` per table. */
export function rowCounter(db: SqliteConnection): (table: string) => Promise<number> {
  const counts = new Map<string, Promise<number>>();
  return (table) => {
    let n = counts.get(table);
    if (n === undefined) {
      n = db.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM ${quoteIdentifier(table)}`).then((rows) => Number(rows[0]?.n ?? 0));
      counts.set(table, n);
    }
    return n;
  };
}

/** `rowid` for rowid tables, `NULL` for WITHOUT ROWID ones (used as the `rid` column of probes). */
export function rowidExpression(table: TableInfo, alias?: string): string {
  return table.withoutRowid ? 'NULL' : `${alias ? `${alias}.` : ''}rowid`;
}

/** The rowid a probe row carries, when it carries one. */
export function ridOf(row: Record<string, unknown> | undefined): number | undefined {
  const rid = row?.rid;
  return typeof rid === 'number' || typeof rid === 'bigint' ? Number(rid) : undefined;
}

/** True when `table` has a single-column INTEGER PRIMARY KEY (an alias of the rowid). */
export function rowidAlias(table: TableInfo): string | undefined {
  if (table.withoutRowid) return undefined;
  const pk = table.columns.filter((c) => c.pk > 0);
  return pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' ? pk[0]!.name : undefined;
}
