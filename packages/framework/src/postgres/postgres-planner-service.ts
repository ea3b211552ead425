import { type MigrationSet, type MigrationTarget, MfmigError, type PostgresConnection, isMfmigError, liveRows, messageOf } from '@mfmig/core';
import {
  type FailedRehearsal,
  type PostgresPlan,
  type PostgresResourceEstimate,
  type RehearsalEstimate,
  type RehearsalEstimateOptions,
  estimatePostgresPlan,
  estimatePostgresResources,
  planPostgresMigrations,
  rehearsalEstimate,
  withRehearsedModules,
} from '@mfmig/planner';
import { createConnectionTransformer } from '@mfmig/transformer';
import type { ToolAdoption } from '../adoption/tool-adoption.js';
import { type UpgradePathAnalysis, assertMilestone } from '../upgrade-path.js';
import { previewPostgresToolAdoption } from './postgres-adoption-before-run.js';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import { postgresParticipants } from './postgres-participants.js';

/** Rows per table a plan copies into its rehearsal by default (as `mfmig plan`). */
export const DEFAULT_POSTGRES_SAMPLE_ROWS = 10_000;

/** Options of {@link PostgresPlanner.createComprehensiveMigrationPlan}. */
export interface PostgresPlanOptions {
  /** False: no timed rehearsal on a sample (estimates from earlier runs' metrics and the cost model only). Default true. */
  rehearse?: boolean;
  sampleRows?: number;
  /** A step that holds writes on an existing table longer than this (or for an unknown time) needs downtime. Default 5. */
  downtimeThresholdSeconds?: number;
  signal?: AbortSignal;
}

/** The PostgreSQL plan with the SQLite plan's summary fields. */
export type PostgresComprehensivePlan = PostgresPlan & {
  /** Minutes, from the steps' estimates; null when a step has none (a module migration never run or rehearsed). */
  estimatedDuration: number | null;
  requiresDowntime: boolean;
  /** Why, one line per step that holds writes too long. */
  downtimeReasons: string[];
  rehearsal?: RehearsalEstimate | FailedRehearsal;
  /** What a run would adopt first from another tool's history (the plan starts where that tool left the schema). */
  adoption?: ToolAdoption;
};

/**
 * `framework.planner` on PostgreSQL: the pending steps read by PostgreSQL's parser (locks,
 * rewrites, scans, risk), timed by a rehearsal on a sample of the live rows in a scratch schema,
 * by earlier runs' metrics or by the cost model (see `mfmig plan`). The live schema is only read.
 *
 * @example
 * const plan = await framework.planner.createComprehensiveMigrationPlan(4);
 * plan.currentMVP; plan.targetMVP; plan.riskLevel; plan.estimatedDuration; plan.requiresDowntime;
 */
export class PostgresPlanner {
  readonly #ctx: PostgresFrameworkContext;
  readonly #upgradePath: ((targetMVP: number) => Promise<UpgradePathAnalysis>) | undefined;

  /** `upgradePath`: the migration service's `analyzeMVPUpgradePath`, which the planner answers too, as on SQLite. */
  constructor(ctx: PostgresFrameworkContext, deps: { upgradePath?: (targetMVP: number) => Promise<UpgradePathAnalysis> } = {}) {
    this.#ctx = ctx;
    this.#upgradePath = deps.upgradePath;
  }

  /** The migrations to run per milestone to reach `targetMVP` (the migration service's answer). Reads only. */
  async analyzeMVPUpgradePath(targetMVP: number): Promise<UpgradePathAnalysis> {
    if (!this.#upgradePath) throw new MfmigError('USAGE', 'This planner was made without the migration service; call migrationService.analyzeMVPUpgradePath');
    return this.#upgradePath(targetMVP);
  }

  /** The plan to milestone `targetMVP`. */
  async createComprehensiveMigrationPlan(targetMVP: number, options: PostgresPlanOptions = {}): Promise<PostgresComprehensivePlan> {
    return this.createPlan({ mvp: assertMilestone(targetMVP) }, options);
  }

  /**
   * The disk, memory and CPU `plan` needs (see `estimatePostgresResources`): the schema's growth as
   * the plan's rehearsal measured it (else from the statements), the `pg_dump` backup's size against
   * the backup folder's free space (`errors` holds `DISK_FULL` when it does not fit). Reads only.
   */
  async estimateResourceRequirements(plan: PostgresComprehensivePlan): Promise<PostgresResourceEstimate> {
    const migrations = await this.#ctx.migrations('metadata');
    const rehearsal = plan.rehearsal && !('failed' in plan.rehearsal) ? plan.rehearsal : undefined;
    return this.#ctx.session('read', (conn) => estimatePostgresResources(conn, migrations, plan, rehearsal, { backupFolder: this.#ctx.backupFolder }));
  }

  /** The plan to any target. */
  async createPlan(target: MigrationTarget, options: PostgresPlanOptions = {}): Promise<PostgresComprehensivePlan> {
    const migrations = await this.#ctx.migrations('import');
    return this.#ctx.session('read', async (live) => {
      // a schema another tool migrated is planned from where that tool left it, as a run would adopt it
      const { adoption, connection: conn } = await previewPostgresToolAdoption(this.#ctx.url, live, async () => migrations, [createConnectionTransformer()]);
      const pending = await planPostgresMigrations(conn, migrations, target);
      const rehearsal =
        options.rehearse === false || pending.steps.length === 0
          ? undefined
          : await rehearsalOrFailure(this.#ctx.url, conn, migrations, target, options.sampleRows ?? DEFAULT_POSTGRES_SAMPLE_ROWS, options.signal);
      // module migrations are analysed from what they ran in the rehearsal
      const analysed = await withRehearsedModules(conn, pending, rehearsal);
      const { plan } = await estimatePostgresPlan(this.#ctx.url, conn, migrations, analysed, rehearsal);
      return { ...summarise(plan, options.downtimeThresholdSeconds ?? 5), ...(rehearsal ? { rehearsal } : {}), ...(adoption ? { adoption } : {}) };
    });
  }
}

/**
 * The plan's timed rehearsal (see `rehearsalEstimate`), or why it could not run (no right to
 * create a schema, a step that fails on the sample): reported, never thrown.
 *
 * @example
 * const r = await rehearsalOrFailure(url, conn, migrations, { latest: true }, 10_000);
 * if ('failed' in r) console.log(r.failed);
 */
export async function rehearsalOrFailure(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  target: MigrationTarget,
  sampleRows: number,
  signal?: AbortSignal,
  options: Pick<RehearsalEstimateOptions, 'fixedTimes'> = {},
): Promise<RehearsalEstimate | FailedRehearsal> {
  try {
    return await rehearsalEstimate(url, conn, migrations, target, {
      ...options,
      sampleRows,
      // the sample's transformations take the path the live sizes decide (in the transaction, or continued)
      participants: postgresParticipants({ preserve: false, rowsOf: async (table) => ((await conn.hasTable(table)) ? liveRows(conn, table) : undefined) }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    return { failed: messageOf(error), migrationFailed: isMfmigError(error) && (error.code === 'MIGRATION_FAILED' || error.code === 'VALIDATION_FAILED') };
  }
}

function summarise(plan: PostgresPlan, thresholdSeconds: number): Omit<PostgresComprehensivePlan, 'rehearsal' | 'adoption'> {
  const holding = plan.steps.filter((s) => s.blocksWrites.length > 0 && (s.estimatedSeconds === undefined || s.estimatedSeconds > thresholdSeconds));
  const downtimeReasons = holding.map(
    (s) =>
      `${s.version} ${s.name} holds writes on ${s.blocksWrites.join(', ')} for ${s.estimatedSeconds === undefined ? 'an unknown time' : `about ${Math.round(s.estimatedSeconds)} s`} (threshold ${thresholdSeconds} s)`,
  );
  return {
    ...plan,
    estimatedDuration: plan.estimatedSeconds === undefined ? null : Math.round((plan.estimatedSeconds / 60) * 100) / 100,
    requiresDowntime: holding.length > 0,
    downtimeReasons,
  };
}
