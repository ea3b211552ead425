import { DEFAULT_PACING, type Migration, type StepMetric } from '@mfmig/core';
import { extractOperations } from '../analysis/extract-operations.js';
import type { SimulatedStep } from '../analysis/schema-simulation.js';
import type { TableState } from '../analysis/table-state.js';
import { type ModelContext, modelSeconds, modelStepSeconds } from '../estimate/duration-model.js';
import { metricsSeconds } from '../estimate/metrics-estimate.js';
import { type RiskThresholds, analyzeRisk } from '../rules/risk-rules.js';
import { type EstimateSource, type PlanStep, type PlannedOperation, type RehearsalFailure, maxRisk } from './plan-types.js';

/** Everything needed to turn migrations into plan steps. */
export interface StepInputs {
  direction: 'up' | 'down';
  statements: Map<number, string[]>;
  state: TableState;
  model: ModelContext;
  /** Rehearsal results (empty maps without rehearsal). */
  rehearsal: { seconds: Map<number, number>; fixedSeconds: Map<number, number>; scalingTables: Set<string>; commitSeconds: number; fraction: number };
  /** Recorded metrics of earlier runs of the same steps (most recent last). */
  metrics: StepMetric[];
  batchThreshold: number;
  thresholds: RiskThresholds;
  /** The schema as it will be at each step, by version (see `simulateSchema`). */
  schema: Map<number, SimulatedStep>;
  /** A migration that failed in the rehearsal. */
  rehearsalFailure?: RehearsalFailure;
  /** The table a migration rebuilds in the form the runner runs online (`findRebuild`), if it does. */
  onlineRebuild?: (m: Migration) => Promise<string | null>;
  /** Rows from which the runner rebuilds online (its `onlineRebuild.minRows`). */
  onlineMinRows?: number;
  /**
   * How a one-batch `INSERT ... SELECT` runs its query outside the write lock in this journal
   * mode: in one read transaction (`snapshot`, WAL), over TEMP copies filled in paced batches
   * (`copies`, rollback journal), or not at all (null).
   */
  stagedQueries?: 'snapshot' | 'copies' | null;
}

/** How long one batch holds the write lock (the runner's `DEFAULT_PACING`). */
const BATCH_SECONDS = DEFAULT_PACING.targetMs / 1000;
/**
 * What each batch's commit adds, with a rollback journal, to the time a waiting writer is held:
 * the journal is written and synced, the file synced, the journal deleted. Writers beside a
 * 1,000,000-row knowledge base waited 182-251 ms behind 100 ms batches there (about 100 ms in
 * WAL, where a commit appends to the log).
 */
const JOURNAL_COMMIT_SECONDS = 0.1;
/**
 * Share of an online rebuild's time its swap holds the lock: counting the copied rows and
 * dropping the old table's pages. Writers beside a 1,000,000-row knowledge base measured 2.6 %
 * (WAL) and 4.9 % (rollback journal) of the rebuild's planned time; 8 %, from earlier
 * measurements of the swap alone, overstated it two to three times.
 */
const SWAP_SHARE = 0.04;

/**
 * How long a one-batch transformation stops the application's commits. Staged, only while its
 * rows are inserted (its time in the share of rows it writes), and, with a rollback journal,
 * while one batch of the copies its query reads is taken.
 */
function wholeBatchSeconds(op: PlannedOperation, staged: 'snapshot' | 'copies' | null): number {
  if (staged === null || op.flags.stageable !== true) return op.estimatedSeconds;
  const insert = op.estimatedSeconds * Math.min(1, op.rowsWritten / Math.max(1, op.rows));
  return staged === 'copies' ? Math.max(insert, Math.min(op.estimatedSeconds, BATCH_SECONDS)) : insert;
}

const SCALING_KINDS = new Set([
  'create-index',
  'drop-table',
  'drop-column',
  'table-rebuild',
  'insert-select',
  'update',
  'delete',
  'transformation',
  'add-column',
  'create-table',
]);

/** How many commits batched transformations add to a step in a real run: their batches, cursors and final transaction. */
function extraCommits(ops: PlannedOperation[], batchRows: { rowFunction: number; sql: number }): number {
  const batched = ops.filter((op) => op.kind === 'transformation' && op.flags.batched);
  return (
    (batched.length > 0 ? 2 : 0) + batched.reduce((sum, op) => sum + Math.ceil(op.rows / (op.flags.rowFunction ? batchRows.rowFunction : batchRows.sql)) + 1, 0)
  );
}

/**
 * The rehearsal's estimate of a step, commits included. A step that touches no growing table
 * keeps its measured fixed cost. Otherwise the part that grows with the data is split: the
 * JavaScript of row functions (probed on live rows) scales linearly; the SQL part also grows
 * with the depth of B-trees and the log factor of sorts, so it is scaled by
 * ln(rows) / ln(rows in the sample) of the largest table the step touches.
 */
function rehearsedSeconds(version: number, ops: PlannedOperation[], inputs: StepInputs): number | undefined {
  const r = inputs.rehearsal;
  const extrapolated = r.seconds.get(version);
  if (extrapolated === undefined) return undefined;
  const fixed = r.fixedSeconds.get(version) ?? extrapolated;
  const commitCost = extraCommits(ops, inputs.model.batchRows) * r.commitSeconds;
  const scales = ops.some((op) => SCALING_KINDS.has(op.kind) && [op.table, op.source].some((t) => t !== undefined && r.scalingTables.has(t.toLowerCase())));
  if (!scales) return fixed + commitCost;
  const data = Math.max(0, extrapolated - fixed);
  const js = Math.min(
    data,
    ops.reduce((sum, op) => sum + (op.flags.rowFunction ? op.rows * inputs.model.rowFunctionSeconds(op.statement) : 0), 0),
  );
  return fixed + js + (data - js) * logGrowth(ops, r.fraction) + commitCost;
}

function logGrowth(ops: PlannedOperation[], fraction: number): number {
  const rows = Math.max(0, ...ops.map((op) => Math.max(op.rows, op.rowsWritten)));
  const sampled = rows * fraction;
  return fraction >= 1 || sampled < 16 ? 1 : Math.log(rows) / Math.log(sampled);
}

/** Rows a step's data work processes, the way the runner counts them (`ctx.rows`). */
function workRows(ops: PlannedOperation[]): number {
  return ops.reduce((sum, op) => sum + (op.kind === 'transformation' ? op.rowsWritten : op.kind === 'table-rebuild' ? op.rows : 0), 0);
}

/**
 * Builds the plan steps: operations with the rows they touch, each step's duration (metrics of
 * an earlier run of the same step, else the rehearsal, else the calibrated model), how long
 * writers wait, and the risk rules that fired.
 *
 * @example
 * const steps = await buildSteps(migrations, inputs);
 */
export async function buildSteps(migrations: Migration[], inputs: StepInputs): Promise<PlanStep[]> {
  const steps: PlanStep[] = [];
  for (const m of migrations) {
    const rowsBefore = inputs.state.snapshot();
    const ops = await extractOperations(m, inputs.statements.get(m.version) ?? [], inputs.state, {
      direction: inputs.direction,
      batchThreshold: inputs.batchThreshold,
    });
    const modelled = ops.map((op) => modelSeconds(op, inputs.model));
    const modelTotal = modelStepSeconds(ops, inputs.model);
    const measured = metricsSeconds(inputs.metrics, { version: m.version, direction: inputs.direction, rows: workRows(ops) });
    const rehearsed = rehearsedSeconds(m.version, ops, inputs);
    const source: EstimateSource = measured !== undefined ? 'metrics' : rehearsed !== undefined ? 'rehearsal' : 'model';
    const seconds = measured ?? rehearsed ?? modelTotal;
    const scale = modelTotal > 0 ? seconds / modelTotal : 1;
    const onlineTable = inputs.direction === 'up' ? (await inputs.onlineRebuild?.(m))?.toLowerCase() : undefined;
    const online =
      onlineTable !== undefined &&
      ops.some((op) => op.kind === 'table-rebuild' && (op.table ?? '').toLowerCase() === onlineTable && op.rows >= (inputs.onlineMinRows ?? 10_000));
    ops.forEach((op, i) => {
      op.estimatedSeconds = modelled[i]! * scale;
      if (online && (op.table ?? '').toLowerCase() === onlineTable && (op.kind === 'table-rebuild' || op.kind === 'create-index')) {
        // copied in batches while triggers carry the application's writes; indexes grow with the copy
        op.blocksWrites = false;
        op.flags.online = true;
      }
      // batches of about 100 ms (and their commits, with a rollback journal); a `batch: 'never'`
      // transformation is one batch however long, unless its query is staged: then the lock
      // covers inserting the rows it gave
      if (!op.blocksWrites && op.rows > 0) {
        const commit = inputs.stagedQueries === 'copies' ? JOURNAL_COMMIT_SECONDS : 0;
        op.longestBatchSeconds =
          commit + (op.flags.wholeBatch ? wholeBatchSeconds(op, inputs.stagedQueries ?? null) : Math.min(op.estimatedSeconds, BATCH_SECONDS));
      }
    });
    const overhead = Math.max(0, seconds - ops.reduce((sum, op) => sum + op.estimatedSeconds, 0));
    const swap = online ? ops.filter((op) => op.flags.online === true).reduce((sum, op) => sum + op.estimatedSeconds, 0) * SWAP_SHARE : 0;
    // an online step's overhead was the rehearsal's whole-database foreign-key scans, which the swap does not run
    const blocked = (online ? swap : overhead) + ops.reduce((sum, op) => sum + (op.blocksWrites ? op.estimatedSeconds : 0), 0);
    const longestBatch = Math.max(0, ...ops.map((op) => op.longestBatchSeconds ?? 0));
    const simulated = inputs.schema.get(m.version);
    const rules = analyzeRisk({
      migration: m,
      direction: inputs.direction,
      operations: ops,
      thresholds: inputs.thresholds,
      children: simulated?.children ?? new Map(),
      foreignKeys: simulated?.foreignKeys,
      removals: (simulated?.removals ?? []).map((r) => ({ ...r, childRows: rowsBefore[r.child.table.toLowerCase()] ?? inputs.state.rows(r.child.table) })),
      dangling: simulated?.dangling ?? [],
      rehearsalFailure: inputs.rehearsalFailure,
    });
    steps.push({
      version: m.version,
      name: m.name,
      mvp: m.mvp,
      direction: inputs.direction,
      operations: ops,
      rules,
      riskLevel: maxRisk(...rules.map((r) => r.severity)),
      estimatedSeconds: seconds,
      blocksWritesSeconds: Math.max(blocked, longestBatch),
      estimateSource: source,
    });
  }
  return steps;
}
