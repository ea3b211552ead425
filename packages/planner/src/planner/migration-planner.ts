import {
  type Migration,
  type MigrationFrameworkConfig,
  type MigrationSet,
  type MigrationStatus,
  type MigrationTarget,
  downVersions,
  migrationLabel,
  pendingSteps,
  readStatus,
  resolveTargetVersion,
  ScratchDirectory,
  type ServiceContext,
  createServiceContext,
  stagedReadOf,
} from '@mfmig/core';
import { captureStatements } from '../analysis/capture-statements.js';
import { declaredTransformations } from '../analysis/declared-transformations.js';
import { readLiveFacts } from '../analysis/live-database.js';
import { rebuiltTable, writersNote } from '../analysis/online-writers.js';
import { simulateSchema } from '../analysis/schema-simulation.js';
import { TableState } from '../analysis/table-state.js';
import { type Calibration, loadCalibration, measureCalibration, privateCalibrationPath, saveCalibration } from '../estimate/calibration.js';
import type { ModelContext } from '../estimate/duration-model.js';
import { type RehearsalEstimates, rehearsalEstimates } from '../estimate/rehearsal-estimates.js';
import { type ResourceEstimate, estimateResources } from '../estimate/resources.js';
import { probeRowFunction } from '../estimate/row-function-probe.js';
import { buildSteps } from '../plan/build-steps.js';
import { summarisePlan } from '../plan/summarise-plan.js';
import type { MigrationPlan, PlanStop } from '../plan/plan-types.js';
import { DEFAULT_RISK_THRESHOLDS, type RiskThresholds } from '../rules/risk-rules.js';
import { type UpgradePathAnalysis, groupByMilestone } from './upgrade-path.js';

/** Options of {@link MigrationPlanner}. */
export interface MigrationPlannerOptions {
  /** Writers blocked longer than this (seconds) means the plan needs downtime. Default 5 (SQLite's default busy timeout). */
  downtimeThresholdSeconds?: number;
  /** Source rows above which the transformer batches a transformation (the transformer's default, and this one's: 10,000). */
  batchThreshold?: number;
  /** Rows from which table rebuilds run online (the runner's `onlineRebuild.minRows`). Default 10,000. */
  onlineRebuildRows?: number;
  /** Rows per batch of row functions and of SQL transformations (the transformer's defaults: 10 000 and 100 000). */
  batchRows?: { rowFunction: number; sql: number };
  riskThresholds?: Partial<RiskThresholds>;
  /**
   * Where the machine calibration is stored. Default `~/.cache/mfmig/calibration.json`
   * (`$XDG_CACHE_HOME`) when that folder is private to this user; otherwise, and whenever the
   * file cannot be written, the calibration is measured and kept in memory only.
   */
  calibrationPath?: string;
  /** Measure again even when a calibration of this machine is stored. */
  recalibrate?: boolean;
  /** Rehearse the plan on a sample of the data (default true) holding `sampleRows` rows in all (default 40 000). */
  rehearsal?: boolean | { sampleRows?: number };
  /**
   * Folder in which each plan makes its private temporary folder (`mfmig-scratch-*`, mode
   * 0700, removed afterwards) for sample, rehearsal and calibration files. Default: the system
   * temp folder (`$TMPDIR`). A folder others may write to without the sticky bit is refused.
   */
  workDir?: string;
  /** A calibration to use as it is (nothing measured or stored). */
  calibration?: Calibration;
  /** Free bytes on the file system holding `path` (default: `fs.statfsSync`). */
  diskSpace?: (path: string) => number;
}

/**
 * Plans migrations from the real operations and the real data: risk from analysing each
 * statement and declared transformation like a migration linter, over the schema as it will be
 * at each step (a simulation on a data-less copy), and from a rehearsal that failed, duration from a rehearsal on
 * a sample of the live data (and a calibrated model of this machine where a rehearsal cannot
 * run), downtime from how long writers would wait, resources from table sizes.
 *
 * @example
 * const planner = new MigrationPlanner({ database: './knowledge.db', migrationsPath: './migrations' });
 * const plan = await planner.createComprehensiveMigrationPlan(4);
 * console.log(plan.riskLevel, plan.estimatedDuration, 'minutes', plan.requiresDowntime);
 */
export class MigrationPlanner {
  readonly context: ServiceContext;
  readonly #options: MigrationPlannerOptions;
  /** The calibration in use, the file asked for, and the file it is stored in (null: memory only). */
  #calibration: { value: Calibration; wanted: string | undefined; path: string | null } | undefined;

  constructor(input: MigrationFrameworkConfig | ServiceContext, options: MigrationPlannerOptions = {}) {
    this.context = createServiceContext(input);
    this.#options = options;
  }

  /**
   * The calibration of this machine: loaded from its file, or measured (about a second) and
   * stored. A file that cannot be written (a read-only home) only costs the next process a new
   * measurement.
   */
  calibration(): Calibration {
    return this.#calibrate(undefined);
  }

  #calibrate(scratch: ScratchDirectory | undefined): Calibration {
    if (this.#options.calibration) return this.#options.calibration;
    const path = this.#options.calibrationPath ?? privateCalibrationPath();
    if (this.#calibration && this.#calibration.wanted === path && !this.#options.recalibrate) return this.#calibration.value;
    let value = this.#options.recalibrate || path === undefined ? undefined : loadCalibration(path);
    let stored = value !== undefined ? path : undefined;
    if (!value) {
      value = scratch ? measureCalibration({ scratch }) : this.#withScratch((own) => measureCalibration({ scratch: own }));
      stored = path !== undefined && trySave(path, value) ? path : undefined;
    }
    this.#calibration = { value, wanted: path, path: stored ?? null };
    return value;
  }

  /**
   * The plan from the current state to milestone `targetMVP`, up or down: steps with their
   * operations, rules, risk, duration and write-blocking time, and the plan's totals.
   */
  async createComprehensiveMigrationPlan(targetMVP: number): Promise<MigrationPlan> {
    return this.createPlan({ mvp: targetMVP });
  }

  /** The plan to any target: `{ mvp }`, `{ version }` or `{ latest: true }`. */
  async createPlan(target: MigrationTarget): Promise<MigrationPlan> {
    const scratch = ScratchDirectory.create(this.#options.workDir);
    try {
      return await this.#createPlan(target, scratch);
    } finally {
      scratch.dispose();
    }
  }

  async #createPlan(target: MigrationTarget, scratch: ScratchDirectory): Promise<MigrationPlan> {
    const conn = this.context.connection;
    const set = await this.context.loadMigrations();
    const status = await readStatus(conn, set);
    const targetVersion = resolveTargetVersion(set, target);
    const direction = targetVersion >= status.currentVersion ? 'up' : 'down';
    const { steps, stop } =
      direction === 'up'
        ? { steps: pendingSteps(set, status.applied, { version: targetVersion }), stop: undefined }
        : revertibleSteps(set, status, targetVersion);
    // what can really run: a down plan that has to stop is rehearsed down to where it stops
    const reachable = stop ? stop.version : targetVersion;
    const facts = await readLiveFacts(conn);
    const calibration = this.#calibrate(scratch);
    const notes: string[] = [];
    const captured = await captureStatements(conn, set, steps, direction, reachable, this.context.tableRebuilder);
    notes.push(...captured.notes);
    const simulation = await simulateSchema(conn, steps, {
      direction,
      foreignKeys: await conn.foreignKeysEnabled(),
      rebuildTable: this.context.tableRebuilder,
    });
    notes.push(...simulation.notes);
    const probes = new Map<string, number>();
    const fanouts = new Map<string, number>();
    for (const m of steps) {
      for (const t of declaredTransformations(m.transformations)) {
        const probe = await probeRowFunction(conn, t);
        if (!probe) continue;
        probes.set(t.id, probe.secondsPerRow);
        fanouts.set(`${m.version}:${t.id}`, probe.fanout);
      }
    }
    const rehearsal = await this.#rehearse(scratch, steps, direction, reachable, facts.rows, facts.cacheBytes);
    notes.push(...rehearsal.notes);
    const state = new TableState({ rows: facts.rows, indexes: facts.indexes }, conn, { countsAfterStep: rehearsal.countsAfter, fanouts });
    const model: ModelContext = {
      calibration,
      rowBytes: (table) => (table ? facts.rowBytes[table.toLowerCase()] : undefined) ?? calibration.rowBytes,
      indexCount: (table) => Object.values(facts.indexes).filter((t) => t.toLowerCase() === table?.toLowerCase()).length,
      cacheOverflow: facts.sizeBytes > 0 ? Math.max(0, 1 - facts.cacheBytes / facts.sizeBytes) : 0,
      rowFunctionSeconds: (id) => probes.get(id) ?? 0,
      batchRows: this.#options.batchRows ?? { rowFunction: 10_000, sql: 100_000 },
    };
    const planSteps = await buildSteps(steps, {
      direction,
      statements: captured.byVersion,
      state,
      model,
      rehearsal,
      metrics: await conn.metrics.list(),
      batchThreshold: this.#options.batchThreshold ?? 10_000,
      thresholds: { ...DEFAULT_RISK_THRESHOLDS, ...this.#options.riskThresholds },
      schema: simulation.steps,
      rehearsalFailure: rehearsal.failure,
      onlineRebuild: (m) => rebuiltTable(conn, m),
      onlineMinRows: this.#options.onlineRebuildRows ?? 10_000,
      stagedQueries: stagedReadOf(await conn.journalMode()),
    });
    const targetMvp =
      steps.length === 0 ? status.currentMvp : direction === 'up' ? (steps.at(-1)?.mvp ?? status.currentMvp) : targetMilestone(set.migrations, targetVersion);
    return summarisePlan({
      currentMVP: status.currentMvp,
      targetMVP: 'mvp' in target ? target.mvp : targetMvp,
      currentVersion: status.currentVersion,
      targetVersion,
      direction: steps.length === 0 && !stop ? 'none' : direction,
      steps: planSteps,
      downtimeThresholdSeconds: this.#options.downtimeThresholdSeconds ?? 5,
      database: { path: facts.path, sizeBytes: facts.sizeBytes, rows: facts.rows },
      ...optional('writers', await writersNote(conn, facts.sizeBytes, this.#options.downtimeThresholdSeconds ?? 5)),
      estimation: {
        method: rehearsal.seconds.size > 0 ? 'rehearsal' : 'model',
        sampleRows: rehearsal.fractions.map((f) => Math.round(f * totalRows(facts.rows))),
        calibrationFile: this.#calibration?.path ?? null,
        notes,
      },
      ...(rehearsal.failure ? { rehearsal: rehearsal.failure } : {}),
      ...(stop ? { stop } : {}),
    });
  }

  /**
   * Disk, memory and CPU a plan needs, from table sizes and its operations. A plan whose
   * storage needs exceed the free space of the database's file system carries an error.
   */
  async estimateResourceRequirements(plan: MigrationPlan): Promise<ResourceEstimate> {
    return estimateResources(plan, await readLiveFacts(this.context.connection), this.calibration(), this.#options.diskSpace);
  }

  /** The per-milestone breakdown of the way to `targetMVP`. */
  async analyzeMVPUpgradePath(targetMVP: number): Promise<UpgradePathAnalysis> {
    const plan = await this.createComprehensiveMigrationPlan(targetMVP);
    return groupByMilestone(plan, (await this.context.loadMigrations()).root);
  }

  async #rehearse(
    scratch: ScratchDirectory,
    steps: Migration[],
    direction: 'up' | 'down',
    targetVersion: number,
    rows: Record<string, number>,
    cacheBytes: number,
  ): Promise<RehearsalEstimates> {
    const setting = this.#options.rehearsal ?? true;
    if (setting === false || steps.length === 0) {
      return {
        seconds: new Map(),
        fixedSeconds: new Map(),
        scalingTables: new Set(),
        commitSeconds: 0,
        countsAfter: new Map(),
        fractions: [],
        fraction: 1,
        notes: [],
      };
    }
    const sampleRows = typeof setting === 'object' ? (setting.sampleRows ?? 40_000) : 40_000;
    return rehearsalEstimates({
      live: this.context.connection,
      migrations: await this.context.loadMigrations(),
      direction,
      targetVersion,
      plugins: this.context.plugins.filter((p) => p.handlesTransformations === true || p.name === 'schema-history'),
      rebuildTable: this.context.tableRebuilder,
      scratch,
      liveCacheKiB: Math.round(cacheBytes / 1024),
      sampleRows,
      totalRows: totalRows(rows),
    });
  }

  #withScratch<T>(work: (scratch: ScratchDirectory) => T): T {
    const scratch = ScratchDirectory.create(this.#options.workDir);
    try {
      return work(scratch);
    } finally {
      scratch.dispose();
    }
  }
}

/** Stores a calibration; false when it cannot be (a read-only or full disk): it is an optimisation. */
function trySave(path: string, calibration: Calibration): boolean {
  try {
    saveCalibration(path, calibration);
    return true;
  } catch {
    // the calibration stays in memory for this process; the next one measures again
    return false;
  }
}

/**
 * The downs a plan to `targetVersion` can run, newest first, and where it has to stop: at the
 * first applied migration with no down (or no file any more). Below it, only a backup restore
 * goes further; the plan says so instead of failing.
 */
function revertibleSteps(set: MigrationSet, status: MigrationStatus, targetVersion: number): { steps: Migration[]; stop: PlanStop | undefined } {
  const steps: Migration[] = [];
  for (const version of downVersions(
    status.applied.map((h) => h.version),
    targetVersion,
  )) {
    const m = set.byVersion.get(version);
    if (!m || !m.down) {
      const name = m ? migrationLabel(m) : `version ${version}`;
      return {
        steps,
        stop: {
          version,
          name,
          message: `${name} ${m ? 'has no down migration' : 'is missing from the migrations folder'}: the plan cannot go below version ${version} without restoring a backup taken before it was applied`,
        },
      };
    }
    steps.push(m);
  }
  return { steps, stop: undefined };
}

function totalRows(rows: Record<string, number>): number {
  return Object.values(rows).reduce((a, b) => a + b, 0);
}

function targetMilestone(migrations: Migration[], version: number): number {
  return migrations.filter((m) => m.version <= version).at(-1)?.mvp ?? 0;
}

/** `{ [key]: value }`, or nothing when the value is undefined (exact optional properties). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
