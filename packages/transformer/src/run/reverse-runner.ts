import { type SqliteConnection, connectionForUserCode, splitSqlStatements } from '@mfmig/core';
import type { ResolvedTransformation } from '../declaration/data-transformation.js';
import type { TransformationUnit } from '../declaration/transformation-unit.js';
import { countStatements } from './dry-run-counter.js';
import type { ResultCounts } from './result-builder.js';
import { runStatement, transformationError } from './statement-runner.js';

/**
 * The units to reverse, in reverse run order: a `migrate` transformation with its own reverse
 * is reversed as one; otherwise its steps are, last first.
 *
 * @example
 * reverseOrder(planUnits(list)).map((u) => u.id);
 */
export function reverseOrder(units: TransformationUnit[]): TransformationUnit[] {
  const out: TransformationUnit[] = [];
  const parentsDone = new Set<string>();
  for (const unit of [...units].reverse()) {
    const parent = unit.parent;
    if (parent?.reverse) {
      if (!parentsDone.has(parent.id)) out.push({ id: parent.id, transformation: parent });
      parentsDone.add(parent.id);
    } else {
      out.push(unit);
    }
  }
  return out;
}

/**
 * Runs the declared reverse of one unit inside the caller's transaction (or counts what it
 * would delete/update in a dry run). A transformation without a reverse changes nothing here:
 * its migration's `down` is what undoes it.
 *
 * @example
 * await conn.transaction(() => runReverse(conn, unit, false));
 */
export async function runReverse(conn: SqliteConnection, unit: TransformationUnit, dryRun: boolean): Promise<ResultCounts> {
  const start = performance.now();
  const t: ResolvedTransformation = unit.transformation;
  if (!t.reversible || t.reverse === undefined) return { rowsRead: 0, rowsWritten: 0, batches: 0, durationMs: 0 };
  if (typeof t.reverse === 'function') {
    if (dryRun) return { rowsRead: 0, rowsWritten: null, batches: 0, durationMs: 0 };
    const changesBefore = await totalChanges(conn);
    try {
      // a reverse function is the user's own code: it also gets the driver's handle, as a migration's ctx.raw does
      await t.reverse({ raw: connectionForUserCode(conn), connection: conn, transformation: t });
    } catch (error) {
      throw transformationError(error, unit.id);
    }
    return { rowsRead: 0, rowsWritten: (await totalChanges(conn)) - changesBefore, batches: 1, durationMs: performance.now() - start };
  }
  const statements = splitSqlStatements(t.reverse);
  if (dryRun) return { rowsRead: 0, rowsWritten: await countStatements(conn, statements, null, unit.id), batches: 0, durationMs: performance.now() - start };
  let written = 0;
  for (const statement of statements) written += await runStatement(conn, statement, null, unit.id);
  return { rowsRead: 0, rowsWritten: written, batches: 1, durationMs: performance.now() - start };
}

/** Rows the connection has changed since it opened (`total_changes()`). */
async function totalChanges(conn: SqliteConnection): Promise<number> {
  return Number((await conn.query<{ n: unknown }>('SELECT total_changes() AS n'))[0]!.n);
}
