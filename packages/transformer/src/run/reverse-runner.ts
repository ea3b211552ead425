import type { DatabaseAdapter } from '@mfmig/core';
import { connectionForUserCode, splitSqlStatements } from '@mfmig/core';
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
 * adapter.transaction(() => runReverse(adapter, unit, false));
 */
export function runReverse(adapter: DatabaseAdapter, unit: TransformationUnit, dryRun: boolean): ResultCounts {
  const start = performance.now();
  const t: ResolvedTransformation = unit.transformation;
  if (!t.reversible || t.reverse === undefined) return { rowsRead: 0, rowsWritten: 0, batches: 0, durationMs: 0 };
  if (typeof t.reverse === 'function') {
    if (dryRun) return { rowsRead: 0, rowsWritten: null, batches: 0, durationMs: 0 };
    const before = adapter.prepare('SELECT total_changes()').pluck();
    const changesBefore = Number(before.get());
    try {
      // a reverse function is the user's own code: it gets the connection itself, as a migration's ctx.raw does
      t.reverse({ raw: connectionForUserCode(adapter), adapter, transformation: t });
    } catch (error) {
      throw transformationError(error, unit.id);
    }
    return { rowsRead: 0, rowsWritten: Number(before.get()) - changesBefore, batches: 1, durationMs: performance.now() - start };
  }
  const statements = splitSqlStatements(t.reverse);
  if (dryRun) return { rowsRead: 0, rowsWritten: countStatements(adapter, statements, null, unit.id), batches: 0, durationMs: performance.now() - start };
  let written = 0;
  for (const statement of statements) written += runStatement(adapter, statement, null, unit.id);
  return { rowsRead: 0, rowsWritten: written, batches: 1, durationMs: performance.now() - start };
}
