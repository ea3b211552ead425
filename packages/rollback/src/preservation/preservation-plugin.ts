import {
  ACCOUNTED_LOSSES_STATE,
  type MigrationContext,
  type MigrationPlugin,
  type RunInfo,
  type RunResult,
  createMigrationContext,
  ensureDatabaseIdentity,
  migrationLabel,
} from '@mfmig/core';
import { type ProbeResult, probeDataLoss } from '../analysis/data-loss-probe.js';
import { downWrittenTables } from '../analysis/down-written-tables.js';
import { type RestoredArchive, restoreArchives } from './archive-restorer.js';
import { type PreservedData, archiveLosses } from './archive-writer.js';
import { RegeneratedMarks, regeneratedSince } from './regenerated-twins.js';

/**
 * Name of the plugin, to find it in `ctx.plugins`.
 *
 * @example
 * const preserving = ctx.plugins.some((p) => p.name === PRESERVATION_PLUGIN_NAME);
 */
export const PRESERVATION_PLUGIN_NAME = 'mfmig-rollback-preservation';

/** Options of {@link createPreservationPlugin}. */
export interface PreservationPluginOptions {
  /** Whether rows are archived in the current run. Default: always (preservation is on by default). */
  isEnabled?: () => boolean;
  /** The plugins of the run: the probe runs their in-transaction hooks with the down, as the run does. */
  plugins?: () => readonly MigrationPlugin[];
  /** While set, a dry-run down reports what it would drop here instead of being ignored (rollback plans). */
  collector?: () => ((version: number, finding: ProbeResult | Error) => void) | undefined;
  onPreserved?: (preserved: PreservedData[], ctx: MigrationContext) => void;
  onRestored?: (restored: RestoredArchive[], ctx: MigrationContext) => void;
  /** Told when a run starts (with the run) and ends (with undefined). */
  onRun?: (run: RunInfo | undefined) => void;
}

const STATE_KEY = 'rollback.preserved';

/**
 * The core plugin that keeps data a down migration drops. In the down's own transaction
 * (`beforeMigration`), it runs the down once inside a SAVEPOINT to see what it would drop, rolls
 * that back, and archives every such row into `mfmig_archive_*` tables; archive, down and history
 * row then commit together. It must come before other plugins that write in `beforeMigration`
 * (the transformer's reverses): put it first in `ctx.plugins`, as the RollbackManager does.
 * When a later up migration re-creates the tables or columns, the archived rows go back in the
 * up's transaction after every plugin's `afterMigration` (the runner's `needsContinuation`
 * call, which this plugin answers with false), or in `finalizeMigration` after batched work.
 * The run's result lists them in `extras.preserved` and `extras.restored`. Before a real run it
 * gives the database its identity (`ensureDatabaseIdentity`), which archives record.
 *
 * @example
 * ctx.plugins.push(createPreservationPlugin({ plugins: () => ctx.plugins }));
 */
export function createPreservationPlugin(options: PreservationPluginOptions = {}): MigrationPlugin {
  const byRun = new Map<string, { preserved: PreservedData[]; restored: RestoredArchive[] }>();
  const record = (runId: string) => {
    let entry = byRun.get(runId);
    if (!entry) byRun.set(runId, (entry = { preserved: [], restored: [] }));
    return entry;
  };
  // whether another plugin continues the migration after its commit (an answer may be a promise: never `true` unawaited)
  const continuing = async (ctx: MigrationContext) => {
    for (const p of options.plugins?.() ?? []) if (p !== plugin && (await p.needsContinuation?.(ctx.migration, ctx)) === true) return true;
    return false;
  };
  // where the tables with archives stood before each up: the rows above are the ones the up made
  const marks = new RegeneratedMarks();
  const restore = async (ctx: MigrationContext) => {
    const { restored } = await restoreArchives(ctx.connection, ctx.migration.version, marks.take(ctx.runId, ctx.migration.version));
    if (restored.length === 0) return;
    record(ctx.runId).restored.push(...restored);
    options.onRestored?.(restored, ctx);
  };
  const plugin: MigrationPlugin = {
    name: PRESERVATION_PLUGIN_NAME,
    beforeRun(run) {
      // a real run writes to the database: from now on it has an identity of its own
      if (!run.dryRun) ensureDatabaseIdentity(run.connection);
      options.onRun?.(run);
    },
    async beforeMigration(ctx) {
      if (ctx.direction === 'up' && !ctx.dryRun) marks.set(ctx.runId, ctx.migration.version, await regeneratedSince(ctx.connection, ctx.migration.version));
      if (ctx.direction !== 'down' || !ctx.migration.down) return;
      const collect = ctx.dryRun ? options.collector?.() : undefined;
      if (ctx.dryRun && !collect) return;
      // nothing to keep when the user turned preservation off (what this down drops, cascades included, is
      // theirs to lose). The down that takes a failed attempt back out is archived but held: what it drops is
      // that attempt's output (put back, it would overwrite the next, fixed attempt's) and the rows the
      // application wrote into its tables meanwhile, which are not the runner's to destroy.
      if (!ctx.dryRun && options.isEnabled && !options.isEnabled()) {
        ctx.state.set(ACCOUNTED_LOSSES_STATE, '*');
        return;
      }
      const others = (options.plugins?.() ?? []).filter((p) => p !== plugin);
      const conn = ctx.connection;
      const ownTransaction = !conn.inTransaction;
      if (ownTransaction) await conn.begin();
      try {
        let probe: ProbeResult;
        try {
          probe = await probeDataLoss(conn, () => runDownLikeTheRunner(ctx, others), downWrittenTables(conn, ctx.migration));
        } catch (error) {
          if (!collect) throw error;
          collect(ctx.migration.version, error as Error);
          return;
        }
        if (collect) {
          collect(ctx.migration.version, probe);
          // the dry run goes on as the real run would: what an archive would keep is accounted for
          ctx.state.set(
            ACCOUNTED_LOSSES_STATE,
            probe.losses.map((l) => l.table.toLowerCase()),
          );
          return;
        }
        const preserved = await archiveLosses(
          conn,
          probe.losses,
          { version: ctx.migration.version, migration: migrationLabel(ctx.migration), runId: ctx.runId, held: ctx.undoesFailedUp === true },
          (p) => ctx.progress(p),
        );
        if (ownTransaction) await conn.commit();
        ctx.state.set(STATE_KEY, preserved);
        ctx.state.set(
          ACCOUNTED_LOSSES_STATE,
          preserved.map((p) => p.table.toLowerCase()),
        );
        record(ctx.runId).preserved.push(...preserved);
        if (preserved.length > 0) options.onPreserved?.(preserved, ctx);
      } finally {
        if (ownTransaction) await conn.rollback();
      }
    },
    async needsContinuation(_migration, ctx) {
      // Called by the runner inside the up's transaction after every plugin's afterMigration:
      // the one point where the rows the up (and its transformations) made exist, whatever the
      // order of the plugins. Restoring here lets archived rows win over regenerated ones.
      if (ctx.direction === 'up' && !ctx.dryRun && !(await continuing(ctx))) await restore(ctx);
      return false;
    },
    async finalizeMigration(ctx) {
      if (ctx.direction === 'up' && !ctx.dryRun) await restore(ctx);
    },
    afterRun(run: RunInfo, result: RunResult) {
      options.onRun?.(undefined);
      marks.forget(run.runId);
      const entry = byRun.get(run.runId);
      byRun.delete(run.runId);
      if (!entry) return;
      if (entry.preserved.length > 0) result.extras.preserved = entry.preserved;
      if (entry.restored.length > 0) result.extras.restored = entry.restored;
    },
  };
  return plugin;
}

/** Runs a down the way the runner does (other plugins' hooks around it), on a fresh context over the step's connection. */
async function runDownLikeTheRunner(ctx: MigrationContext, others: MigrationPlugin[]): Promise<void> {
  const probeCtx = createMigrationContext({
    connection: ctx.connection,
    migration: ctx.migration,
    direction: 'down',
    dryRun: false,
    logger: ctx.logger,
    rebuildTable: (_inner, spec) => ctx.rebuildTable(spec),
    onProgress: () => {},
    state: new Map(),
    signal: ctx.signal,
    runId: ctx.runId,
  });
  for (const p of others) await p.beforeMigration?.(probeCtx);
  await ctx.migration.down!(probeCtx.db, probeCtx);
  for (const p of others) await p.afterMigration?.(probeCtx);
}
